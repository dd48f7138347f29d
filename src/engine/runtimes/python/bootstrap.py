# selfless's Python runtime client: adopt a function (pre-start hand-over), load the handler, serve invocations
# over the Runtime API with AWS's context object, error shapes and log format.
import json
import logging
import os
import socket
import sys
import time


class Headers(dict):
    """A response's headers by lower-case name; get() is case-insensitive."""

    def get(self, name, default=None):
        return dict.get(self, name.lower(), default)


class RuntimeApi:
    """HTTP/1.1 over one keep-alive socket, one request at a time, as the Runtime API is used. Not http.client: it
    imports ssl and email, which cost each idle environment about 3 MB of private memory."""

    def __init__(self, address):
        host, _, port = address.rpartition(':')
        self.address = (host, int(port))
        self.sock = None
        self.buf = b''

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = None
        self.buf = b''

    def read_until(self, mark):
        while True:
            i = self.buf.find(mark)
            if i >= 0:
                out, self.buf = self.buf[:i], self.buf[i + len(mark):]
                return out
            self.fill()

    def read_exactly(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError('Runtime API connection closed')
        self.buf += chunk

    def read_response(self):
        head = self.read_until(b'\r\n\r\n').decode('latin-1').split('\r\n')
        status = int(head[0].split(' ', 2)[1])
        headers = Headers()
        for line in head[1:]:
            name, _, value = line.partition(':')
            headers[name.strip().lower()] = value.strip()
        if 'content-length' in headers:
            body = self.read_exactly(int(headers['content-length']))
        elif headers.get('transfer-encoding', '').lower() == 'chunked':
            parts = []
            while True:
                size = int(self.read_until(b'\r\n').split(b';', 1)[0], 16)
                if size == 0:
                    self.read_until(b'\r\n')
                    break
                parts.append(self.read_exactly(size))
                self.read_exactly(2)
            body = b''.join(parts)
        else:
            body = b''
        if headers.get('connection', '').lower() == 'close':
            self.close()
        return status, headers, body

    def call(self, method, path, body=None, headers=None):
        payload = body or b''
        head = '%s %s HTTP/1.1\r\nHost: %s:%d\r\n' % (method, path, self.address[0], self.address[1])
        for name, value in (headers or {}).items():
            head += '%s: %s\r\n' % (name, value)
        request = (head + 'Content-Length: %d\r\n\r\n' % len(payload)).encode('latin-1') + payload
        for attempt in (0, 1):
            try:
                if self.sock is None:
                    self.sock = socket.create_connection(self.address)
                    self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.sock.sendall(request)
                return self.read_response()
            except (OSError, ValueError, IndexError):
                self.close()
                if attempt:
                    raise

    def assignment(self):
        _, _, body = self.call('GET', '/2018-06-01/selfless/assignment')
        return json.loads(body)['env']

    def next(self):
        _, headers, body = self.call('GET', '/2018-06-01/runtime/invocation/next')
        return headers, body

    def response_then_next(self, request_id, body):
        # selfless's private route: the acknowledgement of a response is the next invocation (one round trip less).
        status, headers, data = self.call('POST', '/2018-06-01/selfless/invocation/%s/response-then-next' % request_id, body,
                                          {'Content-Type': 'application/json'})
        if status == 200 and headers.get('Lambda-Runtime-Aws-Request-Id'):
            return headers, data
        return None

    def error(self, request_id, err):
        self.call('POST', '/2018-06-01/runtime/invocation/%s/error' % request_id, json.dumps(err).encode(),
                  {'Content-Type': 'application/json', 'Lambda-Runtime-Function-Error-Type': err['errorType']})

    def init_error(self, err):
        self.call('POST', '/2018-06-01/runtime/init/error', json.dumps(err).encode(),
                  {'Content-Type': 'application/json', 'Lambda-Runtime-Function-Error-Type': err['errorType']})


class FaultError(Exception):
    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type
        self.message = message


current_request_id = None


class LambdaLogFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = current_request_id
        return True


class LambdaLogHandler(logging.StreamHandler):
    def emit(self, record):
        try:
            msg = self.format(record).replace('\n', '\r')
            sys.stdout.write(msg + '\n')
            sys.stdout.flush()
        except Exception:
            self.handleError(record)


class JsonFormatter(logging.Formatter):
    def format(self, record):
        return json.dumps({
            'timestamp': time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(record.created)) + '.%03dZ' % record.msecs,
            'level': record.levelname, 'message': record.getMessage(), 'logger': record.name,
            'requestId': current_request_id,
        })


def setup_logging():
    handler = LambdaLogHandler()
    if os.environ.get('AWS_LAMBDA_LOG_FORMAT') == 'JSON':
        handler.setFormatter(JsonFormatter())
        level = os.environ.get('AWS_LAMBDA_LOG_LEVEL', 'INFO').upper()
        logging.getLogger().setLevel(level if level != 'TRACE' else 'DEBUG')
    else:
        fmt = logging.Formatter('[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s', '%Y-%m-%dT%H:%M:%S')
        fmt.converter = time.gmtime
        handler.setFormatter(fmt)
    handler.addFilter(LambdaLogFilter())
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)


class CognitoIdentity:
    def __init__(self, d):
        self.cognito_identity_id = d.get('cognitoIdentityId')
        self.cognito_identity_pool_id = d.get('cognitoIdentityPoolId')


class Client:
    def __init__(self, d):
        self.installation_id = d.get('installation_id')
        self.app_title = d.get('app_title')
        self.app_version_name = d.get('app_version_name')
        self.app_version_code = d.get('app_version_code')
        self.app_package_name = d.get('app_package_name')


class ClientContext:
    def __init__(self, d):
        self.client = Client(d['client']) if d.get('client') else None
        self.custom = d.get('custom') or d.get('Custom')
        self.env = d.get('env')


class LambdaContext:
    def __init__(self, request_id, deadline_ms, invoked_arn, client_context, identity):
        env = os.environ
        self.aws_request_id = request_id
        self.log_group_name = env.get('AWS_LAMBDA_LOG_GROUP_NAME')
        self.log_stream_name = env.get('AWS_LAMBDA_LOG_STREAM_NAME')
        self.function_name = env.get('AWS_LAMBDA_FUNCTION_NAME')
        self.memory_limit_in_mb = env.get('AWS_LAMBDA_FUNCTION_MEMORY_SIZE')
        self.function_version = env.get('AWS_LAMBDA_FUNCTION_VERSION')
        self.invoked_function_arn = invoked_arn
        self.client_context = ClientContext(json.loads(client_context)) if client_context else None
        self.identity = CognitoIdentity(json.loads(identity) if identity else {})
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return int(max(self._deadline_ms - int(round(time.time() * 1000)), 0))

    def __repr__(self):
        return 'LambdaContext([aws_request_id=%s,log_group_name=%s,log_stream_name=%s,function_name=%s,memory_limit_in_mb=%s,' \
               'function_version=%s,invoked_function_arn=%s,client_context=%s,identity=%s])' % (
                   self.aws_request_id, self.log_group_name, self.log_stream_name, self.function_name,
                   self.memory_limit_in_mb, self.function_version, self.invoked_function_arn, self.client_context, self.identity)


def error_result(exc, request_id=None):
    import traceback
    tb = traceback.extract_tb(exc.__traceback__)
    result = {
        'errorMessage': exc.message if isinstance(exc, FaultError) else str(exc),
        'errorType': exc.error_type if isinstance(exc, FaultError) else type(exc).__name__,
        'stackTrace': traceback.format_list(tb) if not isinstance(exc, FaultError) else [],
    }
    if request_id:
        result['requestId'] = request_id
    return result


def log_error(result):
    text = '[ERROR] %s: %s' % (result['errorType'], result['errorMessage'])
    if result.get('stackTrace'):
        text += '\nTraceback (most recent call last):\n' + ''.join(result['stackTrace'])
    sys.stdout.write(text.replace('\n', '\r') + '\n')
    sys.stdout.flush()


def load_handler(handler):
    try:
        modname, fname = handler.rsplit('.', 1)
    except ValueError:
        raise FaultError('Runtime.MalformedHandlerName', "Bad handler '%s': not enough values to unpack (expected 2, got 1)" % handler)
    modname = modname.replace('/', '.')
    try:
        __import__(modname)
        module = sys.modules[modname]
    except ImportError as e:
        raise FaultError('Runtime.ImportModuleError', "Unable to import module '%s': %s" % (modname, e))
    except SyntaxError as e:
        raise FaultError('Runtime.UserCodeSyntaxError', "Syntax error in module '%s': %s" % (modname, e))
    fn = getattr(module, fname, None)
    if fn is None:
        raise FaultError('Runtime.HandlerNotFound', "Handler '%s' missing on module '%s'" % (fname, modname))
    return fn


def to_json(obj):
    def default(o):
        if type(o).__name__ == 'Decimal':
            return int(o) if o == o.to_integral_value() else float(o)
        raise TypeError('Object of type %s is not JSON serializable' % type(o).__name__)
    return json.dumps(obj, default=default)


def adopt(api):
    if os.environ.get('SELFLESS_PRESTART') != '1':
        return
    env = api.assignment()
    os.environ.clear()
    os.environ.update(env)


def main():
    global current_request_id
    api = RuntimeApi(os.environ['AWS_LAMBDA_RUNTIME_API'])
    adopt(api)
    task_root = os.environ.get('LAMBDA_TASK_ROOT', os.getcwd())
    os.chdir(task_root)
    extra = [p for p in os.environ.get('PYTHONPATH', '').split(':') if p]
    sys.path[:0] = [task_root] + [p for p in extra if p not in sys.path]
    setup_logging()
    try:
        handler = load_handler(os.environ.get('_HANDLER', ''))
    except Exception as e:
        result = error_result(e)
        log_error(result)
        api.init_error(result)
        sys.exit(1)
    nxt = None
    while True:
        headers, body = nxt or api.next()
        nxt = None
        request_id = headers.get('Lambda-Runtime-Aws-Request-Id')
        current_request_id = request_id
        trace = headers.get('Lambda-Runtime-Trace-Id')
        if trace:
            os.environ['_X_AMZN_TRACE_ID'] = trace
        else:
            os.environ.pop('_X_AMZN_TRACE_ID', None)
        try:
            context = LambdaContext(request_id, int(headers.get('Lambda-Runtime-Deadline-Ms', '0')),
                                    headers.get('Lambda-Runtime-Invoked-Function-Arn'),
                                    headers.get('Lambda-Runtime-Client-Context'), headers.get('Lambda-Runtime-Cognito-Identity'))
            event = json.loads(body) if body else {}
            result = handler(event, context)
        except Exception as e:
            err = error_result(e, request_id)
            log_error(err)
            api.error(request_id, err)
            continue
        try:
            payload = to_json(result).encode()
        except Exception as e:
            err = {'errorMessage': 'Unable to marshal response: %s' % e, 'errorType': 'Runtime.MarshalError', 'requestId': request_id, 'stackTrace': []}
            log_error(err)
            api.error(request_id, err)
            continue
        nxt = api.response_then_next(request_id, payload)


if __name__ == '__main__':
    main()
