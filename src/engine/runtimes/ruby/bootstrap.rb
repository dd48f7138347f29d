# selfless's Ruby runtime client: load the handler (`file.method` or `file.Module::Class.method`), then serve
# invocations over the Runtime API with AWS's context object and error shapes.
require 'json'
require 'net/http'
require 'time'

$stdout.sync = true
$stderr.sync = true

module SelflessRuntime
  # The Runtime API as a client sees it, on one kept-alive connection.
  class Api
    BASE = '/2018-06-01'

    def initialize(address)
      host, _, port = address.rpartition(':')
      @http = Net::HTTP.new(host, port.to_i)
      @http.read_timeout = nil
      @http.keep_alive_timeout = 3600
      @http.start
    end

    def next_invocation
      res = request(Net::HTTP::Get.new("#{BASE}/runtime/invocation/next"))
      raise "Runtime API /next answered #{res.code}: #{res.body}" unless res.code == '200'
      res
    end

    def response(request_id, body)
      post("#{BASE}/runtime/invocation/#{request_id}/response", body)
    end

    def error(request_id, err)
      post("#{BASE}/runtime/invocation/#{request_id}/error", JSON.generate(err), err['errorType'])
    end

    def init_error(err)
      post("#{BASE}/runtime/init/error", JSON.generate(err), err['errorType'])
    end

    private

    def post(path, body, error_type = nil)
      req = Net::HTTP::Post.new(path)
      req['Content-Type'] = 'application/json'
      req['Lambda-Runtime-Function-Error-Type'] = error_type if error_type
      req.body = body
      request(req)
    end

    def request(req)
      attempts = 0
      begin
        @http.start unless @http.started?
        @http.request(req)
      rescue IOError, SystemCallError, Net::ReadTimeout
        attempts += 1
        @http.finish if @http.started?
        retry if attempts < 2
        raise
      end
    end
  end
end

# The context object AWS's Ruby runtime hands to a handler.
class LambdaContext
  attr_reader :aws_request_id, :invoked_function_arn, :log_group_name, :log_stream_name, :function_name,
              :memory_limit_in_mb, :function_version, :identity, :client_context, :deadline_ms, :tenant_id

  def initialize(res)
    @aws_request_id = res['Lambda-Runtime-Aws-Request-Id']
    @invoked_function_arn = res['Lambda-Runtime-Invoked-Function-Arn']
    @log_group_name = ENV['AWS_LAMBDA_LOG_GROUP_NAME']
    @log_stream_name = ENV['AWS_LAMBDA_LOG_STREAM_NAME']
    @function_name = ENV['AWS_LAMBDA_FUNCTION_NAME']
    @memory_limit_in_mb = ENV['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']
    @function_version = ENV['AWS_LAMBDA_FUNCTION_VERSION']
    @deadline_ms = res['Lambda-Runtime-Deadline-Ms'].to_i
    @tenant_id = res['Lambda-Runtime-Aws-Tenant-Id']
    @identity = parse(res['Lambda-Runtime-Cognito-Identity'])
    @client_context = parse(res['Lambda-Runtime-Client-Context'])
  end

  def get_remaining_time_in_millis
    [@deadline_ms - (Time.now.to_f * 1000).to_i, 0].max
  end

  private

  def parse(header)
    header && !header.empty? ? JSON.parse(header) : nil
  rescue JSON::ParserError
    nil
  end
end

module SelflessRuntime
  # Errors as AWS's Ruby runtime reports them: errorType Function<Class> (Init<Class> while loading).
  def self.error_body(err, phase)
    { 'errorMessage' => err.message, 'errorType' => "#{phase}<#{err.class}>", 'stackTrace' => err.backtrace || [] }
  end

  def self.log_event(text)
    $stdout.write(text.gsub("\n", "\r") + "\n")
  end

  # `file.method` → [file, nil, method]; `file.Module::Class.method` → [file, "Module::Class", method].
  def self.parse_handler(handler)
    parts = handler.to_s.split('.')
    raise ArgumentError, "Invalid handler #{handler}, must be of form FILENAME.METHOD or FILENAME.CLASS.METHOD where FILENAME is the name of the file without the .rb extension" if parts.length < 2
    [parts[0], parts.length > 2 ? parts[1..-2].join('.') : nil, parts[-1]]
  end

  # The runtime starts without RubyGems (a third of Ruby's start-up): it is loaded before the handler when the code or
  # a layer has gems, and otherwise as soon as the handler's file needs something the standard library lacks.
  def self.gems?(task_root)
    # Layers' Ruby directory (/opt/ruby) is the parent of RUBYLIB's …/ruby/lib entry.
    layer_ruby = ENV['RUBYLIB'].to_s.split(':').find { |p| p.end_with?('/ruby/lib') }
    %w[Gemfile Gemfile.lock vendor/bundle].any? { |p| File.exist?(File.join(task_root, p)) } ||
      (layer_ruby && File.directory?(File.dirname(layer_ruby)))
  end

  def self.require_with_gems(target)
    require target
  rescue LoadError
    raise if defined?(::Gem)
    require 'rubygems'
    require target
  end

  def self.load_handler(handler, task_root)
    file, klass, method = parse_handler(handler)
    path = File.join(task_root, file)
    require 'rubygems' if !defined?(::Gem) && gems?(task_root)
    require_with_gems(File.exist?("#{path}.rb") ? path : file)
    target = klass ? Object.const_get(klass) : Object.new
    unless target.respond_to?(method, true)
      raise NoMethodError, "undefined method `#{method}' for #{klass || 'main:Object'}"
    end
    ->(event, context) { klass ? target.public_send(method, event: event, context: context) : target.send(method, event: event, context: context) }
  end

  def self.run
    api = Api.new(ENV.fetch('AWS_LAMBDA_RUNTIME_API'))
    task_root = ENV['LAMBDA_TASK_ROOT'] || '/var/task'
    $LOAD_PATH.unshift(task_root) unless $LOAD_PATH.include?(task_root)
    begin
      call = load_handler(ENV['_HANDLER'], task_root)
    rescue Exception => e # rubocop:disable Lint/RescueException -- a load error of any kind is an init error
      body = error_body(e, 'Init')
      log_event("Init error when loading handler #{ENV['_HANDLER']}\n#{JSON.pretty_generate(body)}")
      api.init_error(body)
      exit(1)
    end
    loop do
      res = api.next_invocation
      request_id = res['Lambda-Runtime-Aws-Request-Id']
      trace = res['Lambda-Runtime-Trace-Id']
      trace ? ENV['_X_AMZN_TRACE_ID'] = trace : ENV.delete('_X_AMZN_TRACE_ID')
      begin
        event = res.body.nil? || res.body.empty? ? nil : JSON.parse(res.body)
        result = call.call(event, LambdaContext.new(res))
        api.response(request_id, JSON.generate(result))
      rescue NoMemoryError, StandardError, ScriptError, SystemStackError => e
        body = error_body(e, 'Function')
        log_event("Error raised from handler method\n#{JSON.pretty_generate(body)}")
        api.error(request_id, body)
      end
    end
  end
end

SelflessRuntime.run
