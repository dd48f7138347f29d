# Replays test/fixtures/lambda-aws-shapes.json with boto3 against a selfless endpoint and compares each recorded answer
# as test/compat/lambda-aws-shapes.test.ts does (members, stable values, ARN forms, placeholder relations); prints a JSON
# list of the differences. Arguments: fixture, endpoint, account, region, role.
import datetime, io, json, re, secrets, sys, time, zipfile
import boto3
from botocore.config import Config

fixture, endpoint, acct, region, role = sys.argv[1:6]
client = boto3.client('lambda', endpoint_url=endpoint, region_name=region, aws_access_key_id='test', aws_secret_access_key='test',
                      config=Config(retries={'max_attempts': 0}))

def zipped(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()

PY = 'def handler(event, context):\n    return event\n'
ZIPS = {
    '$ZIP': zipped({'index.py': PY, 'handler.py': PY}),
    '$ZIP2': zipped({'index.py': 'def handler(event, context):\n    return {"version": 2}\n', 'handler.py': 'def handler(event, context):\n    return {"version": 2}\n'}),
    '$ZIPJS': zipped({'lambda_handler.js': 'exports.handler = async (e) => e;'}),
    '$ZIPB': zipped({'index.py': PY, 'handler.py': PY + '# b\n'}),
    '$LAYERZIP': zipped({'python/lib.py': 'VALUE = 1\n'}),
}
VOLATILE = {'date', 'datetime', 'lambda-url'}
PLACEHOLDER = re.compile(r'<([A-Za-z0-9_-]+(?::\d+)?)>')

def snake(op):
    return re.sub(r'(?<!^)(?=[A-Z])', '_', op).lower()

class Ctx:
    def __init__(self, fn):
        self.fn, self.fn2, self.layer, self.answers, self.bound = fn, fn + 'z', fn + '-layer', {}, {}

def pick(v, path):
    for k in path.split('.'):
        v = v.get(k) if isinstance(v, dict) else None
    return v

def fill(v, c):
    if isinstance(v, str):
        if v in ZIPS: return ZIPS[v]
        return v.replace('$LAYER', c.layer).replace('$FN2', c.fn2).replace('$FN', c.fn).replace('$ROLE', role).replace('$ACCT', acct).replace('$REGION', region)
    if isinstance(v, list): return [fill(x, c) for x in v]
    if isinstance(v, dict):
        if '$ref' in v: return pick(c.answers[v['$ref']], v['path'])
        return {k: fill(x, c) for k, x in v.items()}
    return v

def bind(c, name, value, problems, path):
    if name in c.bound:
        if c.bound[name] != value: problems.append(f'{path}: <{name}> was {c.bound[name]}, now {value}')
        return
    kind = name.split(':')[0]
    for n, v in c.bound.items():
        if n.split(':')[0] == kind and v == value: problems.append(f'{path}: <{name}> is {value}, the value of <{n}>: AWS answered a different one')
    c.bound[name] = value

def match_string(expected, actual, c, problems, path):
    lit = lambda s: re.escape(s.replace('111111111111', acct))
    names, rx, last = [], '', 0
    for m in PLACEHOLDER.finditer(expected):
        rx += lit(expected[last:m.start()])
        last = m.end()
        name = m.group(1)
        if name == 'partition': rx += 'aws'
        elif name == 'region': rx += re.escape(region)
        elif name in c.bound: rx += lit(c.bound[name])
        else:
            rx += '(.+?)' if ':' in name else '(.*?)'
            names.append(name)
    rx += lit(expected[last:])
    m = re.fullmatch(rx, actual, re.S)
    if not m: return problems.append(f'{path}: {json.dumps(actual)} is not of the form {json.dumps(expected)}')
    for i, n in enumerate(names):
        if ':' in n: bind(c, n, m.group(i + 1), problems, path)

def compare(expected, actual, c, problems, path):
    if isinstance(expected, str):
        if expected in VOLATILE or re.fullmatch(r'<[A-Za-z0-9_-]+>', expected):
            if actual is None: problems.append(f'{path}: missing')
            return
        if isinstance(actual, datetime.datetime): return
        if not isinstance(actual, str): return problems.append(f'{path}: {actual!r} is not a string (AWS: {expected!r})')
        return match_string(expected, actual, c, problems, path)
    if isinstance(expected, list):
        if not isinstance(actual, list): return problems.append(f'{path}: not a list: {actual!r}')
        if len(actual) != len(expected): problems.append(f'{path}: {len(actual)} items, AWS {len(expected)}')
        for i, (e, a) in enumerate(zip(expected, actual)): compare(e, a, c, problems, f'{path}[{i}]')
        return
    if isinstance(expected, dict):
        if isinstance(actual, str):
            try: actual = json.loads(actual)
            except ValueError: pass
        if not isinstance(actual, dict): return problems.append(f'{path}: not an object: {actual!r}')
        a = {k: v for k, v in actual.items() if k != 'ResponseMetadata' and v is not None}
        for k in expected:
            if k not in a: problems.append(f'{path}.{k}: missing (AWS: {json.dumps(expected[k])})')
        for k in a:
            if k not in expected: problems.append(f'{path}.{k}: present, AWS has no such member')
        for k in expected:
            if k in a: compare(expected[k], a[k], c, problems, f'{path}.{k}')
        return
    if actual != expected: problems.append(f'{path}: {actual!r}, AWS {expected!r}')

def answer(step, params, c):
    call = getattr(client, snake(step['op']))
    if step.get('paginate'):
        key = (step.get('sort') or step.get('only')).split('.')[0]
        items, marker = [], None
        while True:
            page = call(**params, **({'Marker': marker} if marker else {}))
            items += page.get(key, [])
            marker = page.get('NextMarker')
            if not marker: break
        r = {key: items}
    else:
        r = call(**params)
    if step.get('only'):
        r[step['only']] = [x for x in r[step['only']] if x.get('FunctionName') in (c.fn, c.fn2)]
    if step.get('sort'):
        lst, field = step['sort'].split('.')
        r[lst].sort(key=lambda x: x[field])
    return r

def settle(name):
    for _ in range(100):
        cfg = client.get_function_configuration(FunctionName=name)
        if cfg.get('State') != 'Pending' and cfg.get('LastUpdateStatus') != 'InProgress': return
        time.sleep(0.1)
    raise SystemExit(f'{name} did not settle')

out = []
for i, case in enumerate(json.load(open(fixture))['cases']):
    c = Ctx(f'b{i}-{secrets.token_hex(3)}')
    problems = []
    try:
        for step in case['steps']:
            params = fill(step['params'], c)
            r = answer(step, params, c)
            if 'key' in step: c.answers[step['key']] = r
            if 'response' in step:
                status = r.get('ResponseMetadata', {}).get('HTTPStatusCode')
                if 'status' in step and status != step['status']: problems.append(f"{step['key']}: HTTP {status}, AWS {step['status']}")
                compare(step['response'], r, c, problems, step['key'])
            if step.get('wait'): settle(params.get('FunctionName') if isinstance(params.get('FunctionName'), str) else c.fn)
    except Exception as e:  # a call that failed is a difference too
        problems.append(f'{type(e).__name__}: {e}')
    out += [f"{case['source']}: {p}" for p in problems]
print(json.dumps(out, indent=1))
