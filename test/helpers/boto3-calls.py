# Runs a list of boto3 calls against a selfless endpoint and prints one JSON answer per call, so that tests can drive
# services that have no JS client in the project (AWS Signer) and check boto3's view of errors.
# Arguments: endpoint, region, then a JSON list of {"service", "op" (snake_case), "params"}; a param {"$b64": s}
# becomes bytes. Each answer is {"ok": response} or {"error": {"code", "message", "status"}}; bytes come back base64.
import base64, datetime, json, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, region, calls = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
clients = {}

def client(service):
    if service not in clients:
        clients[service] = boto3.client(service, endpoint_url=endpoint, region_name=region, aws_access_key_id='test',
                                        aws_secret_access_key='test', config=Config(retries={'max_attempts': 0}))
    return clients[service]

def decode(v):
    if isinstance(v, dict):
        if set(v) == {'$b64'}:
            return base64.b64decode(v['$b64'])
        return {k: decode(x) for k, x in v.items()}
    if isinstance(v, list):
        return [decode(x) for x in v]
    return v

def encode(v):
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(v).decode()
    if isinstance(v, datetime.datetime):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: encode(x) for k, x in v.items() if k != 'ResponseMetadata'}
    if isinstance(v, list):
        return [encode(x) for x in v]
    if hasattr(v, 'read'):
        return base64.b64encode(v.read()).decode()
    return v

out = []
for c in calls:
    try:
        r = getattr(client(c['service']), c['op'])(**decode(c.get('params', {})))
        out.append({'ok': encode(r)})
    except ClientError as e:
        err = e.response.get('Error', {})
        out.append({'error': {'code': err.get('Code'), 'message': err.get('Message'), 'status': e.response.get('ResponseMetadata', {}).get('HTTPStatusCode')}})
print(json.dumps(out))
