#!/usr/bin/env python3
# Builds states-manifest.json: for each recorded AWS case in the corpus, which template it runs and what it needs.
# Reads LocalStack's Python tests (github.com/localstack/localstack @ 8b9a79f) only to learn the case -> template
# mapping; no test code is copied. Usage: build-manifest.py <localstack checkout> <corpus/stepfunctions> > states-manifest.json
import ast, json, os, re, sys

ls, corpus = sys.argv[1], sys.argv[2]
base = os.path.join(ls, 'tests/aws/services/stepfunctions')

consts = {}  # (Class, CONST) -> relative template path
for root, _, files in os.walk(os.path.join(base, 'templates')):
    for f in files:
        if not f.endswith('_templates.py'):
            continue
        src = open(os.path.join(root, f)).read()
        for cls in re.finditer(r'class (\w+)\(', src):
            pass
        tree = ast.parse(src)
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                for st in node.body:
                    if isinstance(st, (ast.AnnAssign, ast.Assign)):
                        target = st.target if isinstance(st, ast.AnnAssign) else st.targets[0]
                        val = st.value
                        if isinstance(target, ast.Name) and isinstance(val, ast.Call) and val.args and isinstance(val.args[-1], ast.Constant) and isinstance(val.args[-1].value, str) and val.args[-1].value.endswith('.json5'):
                            rel = os.path.relpath(os.path.join(root, val.args[-1].value), os.path.join(base, 'templates'))
                            consts[(node.name, target.id)] = rel

OTHER = ['sqs', 'sns', 'dynamodb', 'events', 's3', 'ecs', 'batch', 'glue', 'kinesis', 'apigateway', 'secretsmanager', 'logs', 'cloudwatch', 'kms', 'ssm', 'sts']
FIXTURE = re.compile(r'aws_client\.(\w+)|(\w+)_create_(?:queue|topic|table|bucket|secret|log_group)')

HANDLERS = {'LAMBDA_ID_FUNCTION': 'id', 'BASE_ID_FUNCTION': 'id', 'ECHO_FUNCTION': 'echo', 'LAMBDA_FUNC_RAISE_EXCEPTION': 'raise_exception',
            'LAMBDA_FUNC_RAISE_CUSTOM_EXCEPTION': 'raise_custom_exception', 'LAMBDA_RETURN_BYTES_STR': 'return_bytes_str',
            'LAMBDA_RETURN_DECORATED_INPUT': 'return_decorated_input', 'LAMBDA_FUNC_LARGE_OUTPUT_STRING': 'large_output', 'LAMBDA_WAIT_60_SECONDS': 'wait_60'}
cases = []
for root, _, files in os.walk(os.path.join(corpus, 'v2')):
    for f in files:
        if not f.endswith('.snapshot.json'):
            continue
        snap = json.load(open(os.path.join(root, f)))
        rel_snap = os.path.relpath(os.path.join(root, f), corpus)
        for key in snap:
            m = re.match(r'tests/aws/services/stepfunctions/(.+\.py)::(?:(\w+)::)?(\w+)(\[.*\])?$', key)
            if not m:
                continue
            py, fn, param = m.group(1), m.group(3), m.group(4)
            path = os.path.join(ls, 'tests/aws/services/stepfunctions', py)
            case = {'key': key, 'snapshot': rel_snap}
            if not os.path.exists(path):
                case['skip'] = 'test source not found'
                cases.append(case); continue
            src = open(path).read()
            tree = ast.parse(src)
            body = None
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == fn:
                    body = node
            if body is None:
                case['skip'] = 'test function not found'
                cases.append(case); continue
            text = ast.get_source_segment(src, body) or ''
            decorators = ''.join(ast.get_source_segment(src, d) or '' for d in body.decorator_list)
            aliases = dict((b, a) for a, b in re.findall(r'(\w+) as (\w+)', src))
            refs = re.findall(r'\b(\w+)\.([A-Z][A-Z0-9_]{2,})\b', text + decorators)
            tpl = []
            for cls, c in refs:
                real = aliases.get(cls, cls)
                hits = [p for (k, v), p in consts.items() if v == c and k == real]
                if not hits:
                    hits = [p for (k, v), p in consts.items() if v == c]
                    if len(hits) != 1:
                        hits = []
                for p in hits[:1]:
                    if p not in tpl:
                        tpl.append(p)
            lowered = (text + decorators).lower()
            case['lambda'] = 'create_lambda_function' in text or 'lambda_functions' in text.lower()
            used = {a or b for a, b in FIXTURE.findall(text)}
            case['services'] = sorted(s for s in used if s in OTHER)
            case['handlers'] = sorted({HANDLERS.get(h, h) for h in re.findall(r'handler_file=(?:\w+\.)?(\w+)', text)})
            case['parametrized'] = bool(param)
            case['templates'] = tpl
            case['activity'] = 'activity' in lowered
            case['callback'] = 'send_task_success' in lowered or 'send_task_failure' in lowered or 'task_token' in lowered
            cases.append(case)

# Template edits the tests make in code before creating the state machine (transcribed facts, keyed by case id suffix).
NUM = "{% $variable := 1 %}"
INP = "{% $states.input.input_value %}"
PATCHES = {
    'test_base.py::TestSnfBase::test_state_pass_result_jsonpaths': [(['States', 'State_1', 'Result'], {'unsupported1.$': '$.jsonpath', 'unsupported2.$': '$$'})],
    'TestBaseEvaluateJsonata::test_base_map[ITEMS]': [(['States', 'Start', 'Items'], [1, '{% $number("2") %}', 3])],
    'TestBaseEvaluateJsonata::test_base_map[ITEMS_DOUBLE_QUOTES]': [(['States', 'Start', 'Items'], [1, "{% $number('2') %}", 3])],
    'TestBaseEvaluateJsonata::test_base_map[MAX_CONCURRENCY]': [(['States', 'Start', 'MaxConcurrency'], NUM)],
    'TestBaseEvaluateJsonata::test_base_map[TOLERATED_FAILURE_PERCENTAGE]': [(['States', 'Start', 'ToleratedFailurePercentage'], NUM)],
    'TestBaseEvaluateJsonata::test_base_map[TOLERATED_FAILURE_COUNT]': [(['States', 'Start', 'ToleratedFailureCount'], NUM)],
    'TestBaseEvaluateJsonata::test_base_task[TIMEOUT_SECONDS]': [(['States', 'Start', 'TimeoutSeconds'], NUM)],
    'TestBaseEvaluateJsonata::test_base_task[HEARTBEAT_SECONDS]': [(['States', 'Start', 'HeartbeatSeconds'], NUM)],
    'TestBaseEvaluateJsonata::test_base_task_from_input[TIMEOUT_SECONDS]': [(['States', 'Start', 'TimeoutSeconds'], INP)],
    'TestBaseEvaluateJsonata::test_base_task_from_input[HEARTBEAT_SECONDS]': [(['States', 'Start', 'HeartbeatSeconds'], INP)],
    'TestBaseEvaluateJsonata::test_base_map_from_input[ITEMS]': [(['States', 'Start', 'Items'], INP)],
    'TestBaseEvaluateJsonata::test_base_map_from_input[MAX_CONCURRENCY]': [(['States', 'Start', 'MaxConcurrency'], INP)],
    'TestBaseEvaluateJsonata::test_base_map_from_input[TOLERATED_FAILURE_PERCENTAGE]': [(['States', 'Start', 'ToleratedFailurePercentage'], INP)],
    'TestBaseEvaluateJsonata::test_base_map_from_input[TOLERATED_FAILURE_COUNT]': [(['States', 'Start', 'ToleratedFailureCount'], INP)],
}

# Placeholders the tests replace in the template text before creating the state machine (transcribed facts).
CO = '%CONTEXT_OBJECT_LITERAL_PLACEHOLDER%'
FILLS = {
    'test_context_object.py::TestSnfBase::test_input_path[$$]': {CO: '$$'},
    'test_context_object.py::TestSnfBase::test_input_path[$$.Execution.Input]': {CO: '$$.Execution.Input'},
    'test_context_object.py::TestSnfBase::test_output_path[$$]': {CO: '$$'},
    'test_context_object.py::TestSnfBase::test_output_path[$$.Execution.Input]': {CO: '$$.Execution.Input'},
    'test_context_object.py::TestSnfBase::test_result_selector': {CO: '$$.Execution.Input'},
    'test_context_object.py::TestSnfBase::test_variable': {CO: '$$.Execution.Input.input-value'},
    'test_context_object.py::TestSnfBase::test_items_path': {CO: '$$.Execution.Input.input-values'},
}
PATCHES['test_base.py::TestSnfBase::test_json_path_array_access[$.items[10]]'] = [(['States', 'EntryState', 'Parameters', 'item.$'], '$.items[10]')]

for c in cases:
    for k, v in PATCHES.items():
        if c['key'].endswith(k):
            c['patches'] = [{'path': a, 'value': b} for a, b in v]
    for k, v in FILLS.items():
        if c['key'].endswith(k):
            c['fills'] = v

for c in cases:
    for k in ('lambda', 'activity', 'callback', 'parametrized'):
        if not c.get(k):
            c.pop(k, None)
    for k in ('services', 'handlers', 'templates'):
        if not c.get(k):
            c.pop(k, None)
json.dump({'source': 'localstack/localstack@8b9a79f tests (mapping only)', 'cases': cases}, sys.stdout, separators=(',', ':'))
