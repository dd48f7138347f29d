# Replays test/fixtures/lambda-aws-errors.json with boto3 against a selfless endpoint; prints a JSON list of the cases
# whose error differs from AWS's (code, HTTP status or message). Arguments: fixture, endpoint, account, region, role.
import base64, hashlib, io, json, re, secrets, sys, zipfile
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

fixture, endpoint, acct, region, role = sys.argv[1:6]
client = boto3.client('lambda', endpoint_url=endpoint, region_name=region, aws_access_key_id='test', aws_secret_access_key='test',
                      config=Config(parameter_validation=False, retries={'max_attempts': 0}))
buf = io.BytesIO()
with zipfile.ZipFile(buf, 'w') as z:
    z.writestr('index.js', 'exports.handler = async (e) => e;')
CODE = buf.getvalue()
CODESHA = base64.b64encode(hashlib.sha256(CODE).digest()).decode()

def snake(op):
    return re.sub(r'(?<!^)(?=[A-Z])', '_', op).lower()

def fill(text, fn):
    return text.replace('$CODESHA', CODESHA).replace('$FN', fn).replace('$ACCT', acct).replace('$REGION', region).replace('$ROLE', role)

def params(v, fn):
    if v == '$ZIP':
        return CODE
    if v == '$NOTZIP':
        return b'this is not a zip file'
    if isinstance(v, str):
        return fill(v, fn)
    if isinstance(v, list):
        return [params(x, fn) for x in v]
    if isinstance(v, dict):
        return {fill(k, fn): params(x, fn) for k, x in v.items()}
    return v

def call(op, p):
    return getattr(client, snake(op))(**p)

def prepare(given, fn):
    create = lambda name: call('CreateFunction', {'FunctionName': name, 'Runtime': 'nodejs20.x', 'Role': role, 'Handler': 'index.handler', 'Code': {'ZipFile': CODE}})
    for g in given:
        if g == 'fn': create(fn)
        elif g == 'fn2': create(fn + '-2')
        elif g == 'v1': call('PublishVersion', {'FunctionName': fn})
        elif g == 'v2':
            call('UpdateFunctionConfiguration', {'FunctionName': fn, 'Description': 'second'})
            call('PublishVersion', {'FunctionName': fn})
        elif g.startswith('alias:'): call('CreateAlias', {'FunctionName': fn, 'Name': g[6:], 'FunctionVersion': '1'})
        elif g == 'layer': call('PublishLayerVersion', {'LayerName': fn, 'Content': {'ZipFile': CODE}})
        else: raise SystemExit('unknown given ' + g)

mismatches = []
for i, c in enumerate(json.load(open(fixture))['cases']):
    fn = 'p%d-%s' % (i, secrets.token_hex(3))
    try:
        prepare(c['given'], fn)
        for s in c['steps']:
            call(s['op'], params(s['params'], fn))
        call(c['op'], params(c['params'], fn))
        mismatches.append('%s: succeeded; AWS answered %s' % (c['name'], c['code']))
    except ClientError as e:
        got = (e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode'], e.response['Error'].get('Message', ''))
        want = (c['code'], c['status'], fill(c['message'], fn))
        if got != want:
            mismatches.append('%s: got %r, AWS %r' % (c['name'], got, want))
print(json.dumps(mismatches, indent=1))
