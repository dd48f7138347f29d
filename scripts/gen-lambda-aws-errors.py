# Builds test/fixtures/lambda-aws-errors.json from a LocalStack checkout: Lambda call sequences with the error AWS answered,
# as recorded against AWS in its snapshot tests. Usage: python3 scripts/gen-lambda-aws-errors.py <snapshot.json> <out.json>
# (<snapshot.json>: tests/aws/services/lambda_/test_lambda_api.snapshot.json of github.com/localstack/localstack).
import json, re, sys
snap = json.load(open(sys.argv[1]))
def recorded(test, key):
    for t, v in snap.items():
        if t.split('::')[-1] == test and key in v.get('recorded-content', {}):
            r = v['recorded-content'][key]
            return r['Error']['Code'], r.get('message') or r['Error'].get('Message'), r['ResponseMetadata']['HTTPStatusCode']
    raise SystemExit(f'missing {test} {key}')
def norm(m):
    m = m.replace('<partition>', 'aws').replace('<region>', '$REGION').replace('111111111111', '$ACCT')
    m = re.sub(r'<(function-name:1|fn-name|nonexisting-fn-name|function-name|resource-name)>', '$FN', m)
    m = m.replace('<code-sha256:1>', '$CODESHA')
    return m.replace('<wrong-region>', 'eu-central-1')
ARN = 'arn:aws:lambda:$REGION:$ACCT:function:$FN'
BAD = 'arn:aws:lambda:$REGION:$ACCT:function:doesnotexist'
S3SRC = 'arn:aws:s3:::test-bucket'
cases = []
def case(test, key, op, params, given=(), steps=()):
    code, msg, status = recorded(test, key)
    cases.append({'name': f'{op}: {key.replace("_", " ")}', 'source': f'{test} / {key}', 'given': list(given), 'steps': list(steps),
                  'op': op, 'params': params, 'code': code, 'status': status, 'message': norm(msg)})

for op in ['DeleteFunction', 'GetFunction', 'GetFunctionConfiguration']:
    t = f'test_ops_with_arn_qualifier_mismatch[{re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower()}]'
    case(t, 'not_match_exception', op, {'FunctionName': 'arn:aws:lambda:$REGION:$ACCT:function:some-function:1', 'Qualifier': '$LATEST'})
    case(t, 'match_exception', op, {'FunctionName': 'arn:aws:lambda:$REGION:$ACCT:function:some-function:$LATEST', 'Qualifier': '$LATEST'})
for op, snake in [('GetFunction', 'get_function'), ('GetFunctionConfiguration', 'get_function_configuration'), ('GetFunctionEventInvokeConfig', 'get_function_event_invoke_config')]:
    case(f'test_ops_on_nonexisting_version[{snake}]', 'version_not_found_exception', op, {'FunctionName': '$FN', 'Qualifier': '1221'}, ['fn'])
case('test_delete_on_nonexisting_version', 'delete_function_response_non_existent', 'DeleteFunction', {'FunctionName': '$FN'})
case('test_delete_on_nonexisting_version', 'delete_function_response_non_existent_with_qualifier', 'DeleteFunction', {'FunctionName': '$FN', 'Qualifier': '1233'})
for op, snake in [('DeleteFunction', 'delete_function'), ('GetFunction', 'get_function'), ('GetFunctionConfiguration', 'get_function_configuration'),
                  ('GetFunctionUrlConfig', 'get_function_url_config'), ('GetFunctionCodeSigningConfig', 'get_function_code_signing_config'),
                  ('GetFunctionEventInvokeConfig', 'get_function_event_invoke_config'), ('GetFunctionConcurrency', 'get_function_concurrency')]:
    case(f'test_ops_on_nonexisting_fn[{snake}]', 'not_found_exception', op, {'FunctionName': '$FN'})
for op, snake in [('GetFunction', 'get_function'), ('GetFunctionConfiguration', 'get_function_configuration'), ('GetFunctionUrlConfig', 'get_function_url_config'),
                  ('GetFunctionCodeSigningConfig', 'get_function_code_signing_config'), ('GetFunctionEventInvokeConfig', 'get_function_event_invoke_config'),
                  ('GetFunctionConcurrency', 'get_function_concurrency'), ('DeleteFunction', 'delete_function'), ('Invoke', 'invoke')]:
    case(f'test_get_function_wrong_region[{snake}]', 'wrong_region_exception', op, {'FunctionName': 'arn:aws:lambda:eu-central-1:$ACCT:function:$FN'}, ['fn'])

# aliases and routing (function with versions 1 and 2)
V12 = ['fn', 'v1', 'v2']
A = lambda **kw: {'FunctionName': '$FN', 'Name': 'custom', 'FunctionVersion': '1', **kw}
T = 'test_notfound_and_invalid_routingconfigs'
case(T, 'routing_config_exc_toomany', 'CreateAlias', A(RoutingConfig={'AdditionalVersionWeights': {'1': 0.8, '2': 0.2}}), V12)
case(T, 'routing_config_exc_toohigh', 'CreateAlias', A(RoutingConfig={'AdditionalVersionWeights': {'2': 2}}), V12)
case(T, 'routing_config_exc_subzero', 'CreateAlias', A(RoutingConfig={'AdditionalVersionWeights': {'2': -1}}), V12)
case(T, 'routing_config_exc_sameversion', 'CreateAlias', A(RoutingConfig={'AdditionalVersionWeights': {'1': 0.5}}), V12)
case(T, 'target_version_doesnotexist', 'CreateAlias', A(FunctionVersion='10', RoutingConfig={'AdditionalVersionWeights': {'2': 0.5}}), V12)
case(T, 'routing_config_exc_version_doesnotexist', 'CreateAlias', A(RoutingConfig={'AdditionalVersionWeights': {'10': 0.5}}), V12)
case(T, 'target_version_exc_version_latest', 'CreateAlias', A(FunctionVersion='$LATEST', RoutingConfig={'AdditionalVersionWeights': {'1': 0.5}}), V12)
case(T, 'routing_config_exc_version_latest', 'CreateAlias', A(RoutingConfig={'AdditionalVersionWeights': {'$LATEST': 0.5}}), V12)
case(T, 'routing_config_exc_fn_doesnotexist', 'CreateAlias', A(FunctionName='$FN-unknown', RoutingConfig={'AdditionalVersionWeights': {'2': 0.5}}), V12)
case(T, 'routing_config_exc_already_exist', 'CreateAlias', A(), V12 + ['alias:custom'])
case(T, 'alias_does_not_exist_esc', 'GetAlias', {'FunctionName': '$FN', 'Name': 'non-existent'}, V12)
case('test_non_existent_alias_update', 'update_alias_response', 'UpdateAlias', {'FunctionName': '$FN', 'Name': 'non-existent'}, ['fn'])
case('test_alias_lifecycle', 'get_function_alias_notfound_exc', 'GetFunction', {'FunctionName': '$FN', 'Qualifier': 'aliasdoesnotexist'}, ['fn'])
case('test_alias_lifecycle', 'get_function_alias_byarn_notfound_exc', 'GetFunction', {'FunctionName': ARN + ':aliasdoesnotexist'}, ['fn'])
case('test_alias_naming', 'create_alias_number_exception', 'CreateAlias', {'FunctionName': '$FN', 'Name': '2024', 'FunctionVersion': '1'}, ['fn', 'v1'])

# event invoke configs
T = 'test_lambda_eventinvokeconfig_exceptions'
G = ['fn', 'v1', 'alias:eventinvokealias', 'fn2']
case(T, 'put_functionname_name_notfound', 'PutFunctionEventInvokeConfig', {'FunctionName': 'doesnotexist', 'MaximumRetryAttempts': 1})
case(T, 'put_functionname_arn_notfound', 'PutFunctionEventInvokeConfig', {'FunctionName': BAD, 'MaximumRetryAttempts': 1})
case(T, 'put_functionname_nootherargs', 'PutFunctionEventInvokeConfig', {'FunctionName': 'doesnotexist'})
case(T, 'put_destination_lambda_doesntexist', 'PutFunctionEventInvokeConfig', {'FunctionName': '$FN', 'DestinationConfig': {'OnSuccess': {'Destination': BAD}}}, G)
case(T, 'put_destination_recursive', 'PutFunctionEventInvokeConfig', {'FunctionName': '$FN', 'DestinationConfig': {'OnSuccess': {'Destination': ARN}}}, G)
case(T, 'put_destination_invalid_service_arn', 'PutFunctionEventInvokeConfig', {'FunctionName': '$FN', 'DestinationConfig': {'OnSuccess': {'Destination': 'arn:aws:iam:$REGION:$ACCT:function:$FN'}}}, G)
case(T, 'put_alias_doesnotexist', 'PutFunctionEventInvokeConfig', {'FunctionName': '$FN', 'Qualifier': 'eventinvokealiasdoesnotexist', 'MaximumRetryAttempts': 1}, G)
case(T, 'put_alias_qualifiedarn_qualifierconflict', 'PutFunctionEventInvokeConfig', {'FunctionName': ARN + ':eventinvokealias', 'Qualifier': 'eventinvokealiasdoesnotexist', 'MaximumRetryAttempts': 1}, G)
case(T, 'put_alias_shorthand_qualifierconflict', 'PutFunctionEventInvokeConfig', {'FunctionName': '$FN:eventinvokealias', 'Qualifier': 'eventinvokealiasdoesnotexist', 'MaximumRetryAttempts': 1}, G)
case(T, 'put_shorthand_qualifier_mismatch_1', 'PutFunctionEventInvokeConfig', {'FunctionName': '$FN:1', 'Qualifier': '$LATEST', 'MaximumRetryAttempts': 1}, G)
case(T, 'delete_function_not_found', 'DeleteFunctionEventInvokeConfig', {'FunctionName': '$FN'}, G)
case(T, 'delete_function_doesnotexist', 'DeleteFunctionEventInvokeConfig', {'FunctionName': 'doesnotexist'})
case(T, 'list_function_doesnotexist', 'ListFunctionEventInvokeConfigs', {'FunctionName': 'doesnotexist'})
case(T, 'get_function_doesnotexist', 'GetFunctionEventInvokeConfig', {'FunctionName': 'doesnotexist'})
case(T, 'get_qualifier_doesnotexist', 'GetFunctionEventInvokeConfig', {'FunctionName': '$FN', 'Qualifier': 'doesnotexist'}, G)
case(T, 'update_eventinvokeconfig_function_doesnotexist', 'UpdateFunctionEventInvokeConfig', {'FunctionName': 'doesnotexist', 'MaximumRetryAttempts': 0})
case(T, 'get_eventinvokeconfig_doesnotexist', 'GetFunctionEventInvokeConfig', {'FunctionName': ARN + ':eventinvokealias'}, G)
case(T, 'update_eventinvokeconfig_config_doesnotexist_with_qualifier', 'UpdateFunctionEventInvokeConfig', {'FunctionName': '$FN', 'Qualifier': 'eventinvokealias', 'MaximumRetryAttempts': 0}, G)
case(T, 'update_eventinvokeconfig_config_doesnotexist_without_qualifier', 'UpdateFunctionEventInvokeConfig', {'FunctionName': '$FN', 'MaximumRetryAttempts': 0}, G)

# reserved concurrency
T = 'test_function_concurrency_exceptions'
case(T, 'put_function_concurrency_with_function_name_doesnotexist', 'PutFunctionConcurrency', {'FunctionName': 'doesnotexist', 'ReservedConcurrentExecutions': 1})
case(T, 'put_function_concurrency_with_function_name_doesnotexist_and_invalid_concurrency', 'PutFunctionConcurrency', {'FunctionName': 'doesnotexist', 'ReservedConcurrentExecutions': 0})
case(T, 'put_function_concurrency_with_qualified_arn', 'PutFunctionConcurrency', {'FunctionName': ARN + ':$LATEST', 'ReservedConcurrentExecutions': 0}, ['fn'])

# provisioned concurrency
T = 'test_provisioned_concurrency_exceptions'
P = ['fn', 'v1']
case(T, 'get_provisioned_config_doesnotexist', 'GetProvisionedConcurrencyConfig', {'FunctionName': '$FN', 'Qualifier': '1'}, P)
case(T, 'get_provisioned_functionname_doesnotexist', 'GetProvisionedConcurrencyConfig', {'FunctionName': 'doesnotexist', 'Qualifier': 'noalias'})
case(T, 'get_provisioned_qualifier_doesnotexist', 'GetProvisionedConcurrencyConfig', {'FunctionName': '$FN', 'Qualifier': 'noalias'}, P)
case(T, 'get_provisioned_version_doesnotexist', 'GetProvisionedConcurrencyConfig', {'FunctionName': '$FN', 'Qualifier': '10'}, P)
case(T, 'get_provisioned_latest', 'GetProvisionedConcurrencyConfig', {'FunctionName': '$FN', 'Qualifier': '$LATEST'}, P)
case(T, 'list_provisioned_functionname_doesnotexist', 'ListProvisionedConcurrencyConfigs', {'FunctionName': 'doesnotexist'})
case(T, 'delete_provisioned_functionname_doesnotexist', 'DeleteProvisionedConcurrencyConfig', {'FunctionName': 'doesnotexist', 'Qualifier': '1'})
case(T, 'delete_provisioned_qualifier_doesnotexist', 'DeleteProvisionedConcurrencyConfig', {'FunctionName': '$FN', 'Qualifier': 'noalias'}, P)
case(T, 'delete_provisioned_version_doesnotexist', 'DeleteProvisionedConcurrencyConfig', {'FunctionName': '$FN', 'Qualifier': '10'}, P)
case(T, 'delete_provisioned_latest', 'DeleteProvisionedConcurrencyConfig', {'FunctionName': '$FN', 'Qualifier': '$LATEST'}, P)
case(T, 'put_provisioned_invalid_param_0', 'PutProvisionedConcurrencyConfig', {'FunctionName': '$FN', 'Qualifier': '1', 'ProvisionedConcurrentExecutions': 0}, P)
case(T, 'put_provisioned_functionname_doesnotexist_alias', 'PutProvisionedConcurrencyConfig', {'FunctionName': 'doesnotexist', 'Qualifier': 'noalias', 'ProvisionedConcurrentExecutions': 1})
case(T, 'put_provisioned_functionname_doesnotexist_version', 'PutProvisionedConcurrencyConfig', {'FunctionName': 'doesnotexist', 'Qualifier': '1', 'ProvisionedConcurrentExecutions': 1})
case(T, 'put_provisioned_qualifier_doesnotexist', 'PutProvisionedConcurrencyConfig', {'FunctionName': '$FN', 'Qualifier': 'doesnotexist', 'ProvisionedConcurrentExecutions': 1}, P)
case(T, 'put_provisioned_version_doesnotexist', 'PutProvisionedConcurrencyConfig', {'FunctionName': '$FN', 'Qualifier': '10', 'ProvisionedConcurrentExecutions': 1}, P)
case(T, 'put_provisioned_latest', 'PutProvisionedConcurrencyConfig', {'FunctionName': '$FN', 'Qualifier': '$LATEST', 'ProvisionedConcurrentExecutions': 1}, P)

# function URLs (alias urlalias → $LATEST? AWS test: alias to version 1)
T = 'test_url_config_exceptions'
U = ['fn', 'v1', 'alias:urlalias']
for verb, op, extra in [('create', 'CreateFunctionUrlConfig', {'AuthType': 'NONE'}), ('get', 'GetFunctionUrlConfig', {}), ('delete', 'DeleteFunctionUrlConfig', {}), ('update', 'UpdateFunctionUrlConfig', {'AuthType': 'NONE'})]:
    case(T, f'{verb}_function_url_config_name_doesnotexist', op, {'FunctionName': 'doesnotexist', **extra})
    case(T, f'{verb}_function_url_config_arn_doesnotexist', op, {'FunctionName': BAD, **extra})
    case(T, f'{verb}_function_url_config_name_doesnotexist_qualifier', op, {'FunctionName': 'doesnotexist', 'Qualifier': '1', **extra})
    case(T, f'{verb}_function_url_config_qualifier_version', op, {'FunctionName': '$FN', 'Qualifier': '1', **extra}, U)
    case(T, f'{verb}_function_url_config_qualifier_version_doesnotexist', op, {'FunctionName': '$FN', 'Qualifier': '2', **extra}, U)
    case(T, f'{verb}_function_url_config_qualifier_alias_doesnotexist', op, {'FunctionName': '$FN', 'Qualifier': 'urlaliasdoesnotexist', **extra}, U)
    if verb != 'delete':
        case(T, f'{verb}_function_url_config_qualifier_alias_doesnotmatch_arn', op, {'FunctionName': ARN + ':urlalias', 'Qualifier': 'urlaliasdoesnotexist', **extra}, U)
    case(T, f'{verb}_function_url_config_qualifier_latest', op, {'FunctionName': '$FN', 'Qualifier': '$LATEST', **extra}, U)
    if verb != 'create':
        case(T, f'{verb}_function_url_config_config_doesnotexist', op, {'FunctionName': '$FN', **extra}, U)

# permissions
T = 'test_permission_exceptions'
AP = lambda **kw: {'FunctionName': '$FN', 'Action': 'lambda:InvokeFunction', 'StatementId': 's3', 'Principal': 's3.amazonaws.com', 'SourceArn': S3SRC, **kw}
case(T, 'add_permission_invalid_statement_id', 'AddPermission', {'FunctionName': '$FN', 'Action': 'lambda:InvokeFunction', 'StatementId': 'example.com', 'Principal': 's3.amazonaws.com'}, ['fn'])
case(T, 'add_permission_fn_qualifier_mismatch', 'AddPermission', AP(FunctionName='$FN:alias-not-42', Qualifier='42'), ['fn'])
case(T, 'add_permission_fn_qualifier_latest', 'AddPermission', AP(FunctionName='$FN:$LATEST', Qualifier='$LATEST'), ['fn'])
case(T, 'add_permission_principal_invalid', 'AddPermission', {'FunctionName': '$FN', 'Action': 'lambda:InvokeFunction', 'StatementId': 'lambda', 'Principal': 'invalid.nonaws.com', 'SourceAccount': '$ACCT'}, ['fn'])
case(T, 'get_policy_fn_doesnotexist', 'GetPolicy', {'FunctionName': 'doesnotexist'})
case(T, 'get_policy_fn_version_doesnotexist', 'GetPolicy', {'FunctionName': '$FN', 'Qualifier': '77'}, ['fn'])
case(T, 'add_permission_fn_doesnotexist', 'AddPermission', AP(FunctionName='doesnotexist'))
case(T, 'remove_permission_policy_doesnotexist', 'RemovePermission', {'FunctionName': '$FN', 'StatementId': 's3'}, ['fn'])
case(T, 'add_permission_fn_alias_doesnotexist', 'AddPermission', AP(FunctionName='$FN:alias-doesnotexist'), ['fn'])
case(T, 'add_permission_fn_version_doesnotexist', 'AddPermission', AP(Qualifier='42'), ['fn'])
case(T, 'add_permission_fn_qualifier_invalid', 'AddPermission', AP(Qualifier='invalid-qualifier-with-?-char'), ['fn'])
case(T, 'add_permission_fn_qualifier_valid_doesnotexist', 'AddPermission', AP(Qualifier='valid-with-$-but-doesnotexist'), ['fn'])
case(T, 'add_permission_conflicting_statement_id', 'AddPermission', AP(), ['fn'], [{'op': 'AddPermission', 'params': AP()}])
case(T, 'remove_permission_fn_doesnotexist', 'RemovePermission', {'FunctionName': 'doesnotexist', 'StatementId': 's3'})
case(T, 'remove_permission_fn_alias_doesnotexist', 'RemovePermission', {'FunctionName': '$FN:alias-doesnotexist', 'StatementId': 's3'}, ['fn'])
case('test_remove_multi_permissions', 'remove_permission_exception_nonexisting_sid', 'RemovePermission', {'FunctionName': '$FN', 'StatementId': 'non-existent'}, ['fn'], [{'op': 'AddPermission', 'params': AP()}])

# layers
T = 'test_layer_exceptions'
case(T, 'list_layers_exc_compatibleruntime_invalid', 'ListLayers', {'CompatibleRuntime': 'runtimedoesnotexist'})
case(T, 'list_layers_exc_compatiblearchitecture_invalid', 'ListLayers', {'CompatibleArchitecture': 'archdoesnotexist'})
case(T, 'get_layer_version_exc_layer_doesnotexist', 'GetLayerVersion', {'LayerName': 'layerdoesnotexist', 'VersionNumber': 1})
case(T, 'get_layer_version_exc_layer_version_doesnotexist_negative', 'GetLayerVersion', {'LayerName': '$FN', 'VersionNumber': -1}, ['layer'])
case(T, 'get_layer_version_exc_layer_version_doesnotexist_zero', 'GetLayerVersion', {'LayerName': '$FN', 'VersionNumber': 0}, ['layer'])
case(T, 'get_layer_version_exc_layer_version_doesnotexist_2', 'GetLayerVersion', {'LayerName': '$FN', 'VersionNumber': 2}, ['layer'])
case(T, 'get_layer_version_by_arn_exc_nonexistentversion', 'GetLayerVersionByArn', {'Arn': 'arn:aws:lambda:$REGION:$ACCT:layer:$FN:2'}, ['layer'])
case(T, 'delete_layer_version_exc_layerversion_invalid_version', 'DeleteLayerVersion', {'LayerName': '$FN', 'VersionNumber': 0}, ['layer'])
T = 'test_layer_policy_exceptions'
LP = {'LayerName': '$FN', 'VersionNumber': 1, 'StatementId': 's1', 'Action': 'lambda:GetLayerVersion', 'Principal': '*'}
case(T, 'layer_permission_nopolicy_get', 'GetLayerVersionPolicy', {'LayerName': '$FN', 'VersionNumber': 1}, ['layer'])
case(T, 'layer_permission_action_invalid', 'AddLayerVersionPermission', {**LP, 'Action': '*'}, ['layer'])
case(T, 'layer_permission_duplicate_statement', 'AddLayerVersionPermission', LP, ['layer'], [{'op': 'AddLayerVersionPermission', 'params': LP}])

# tags
case('test_tag_exceptions[lambda_function]', 'not_found_exception_tag', 'TagResource', {'Resource': ARN, 'Tags': {'A': 'a'}})
case('test_tag_exceptions[lambda_function]', 'not_found_exception_untag', 'UntagResource', {'Resource': ARN, 'TagKeys': ['A']})
case('test_tag_exceptions[lambda_function]', 'not_found_exception_list', 'ListTags', {'Resource': ARN})
case('test_tag_exceptions[lambda_function]', 'aliased_arn_exception', 'TagResource', {'Resource': ARN + ':alias', 'Tags': {'A': 'a'}})
case('test_tag_versions', 'tag_resource_latest_exception', 'TagResource', {'Resource': ARN + ':$LATEST', 'Tags': {'A': 'a'}}, ['fn'])
case('test_tag_limits', 'tag_lambda_too_many_tags_additional', 'TagResource', {'Resource': ARN, 'Tags': {f'k{i}': 'v' for i in range(51)}}, ['fn'])

# create / update function
T = 'test_create_lambda_exceptions'
CF = lambda **kw: {'FunctionName': '$FN', 'Handler': 'index.handler', 'Code': {'ZipFile': '$ZIP'}, 'Role': '$ROLE', 'Runtime': 'nodejs20.x', **kw}
case(T, 'invalid_role_arn_exc', 'CreateFunction', CF(Role='r1'))
case(T, 'multiple_architectures', 'CreateFunction', CF(Architectures=['x86_64', 'arm64']))
case(T, 'uppercase_architecture', 'CreateFunction', CF(Architectures=['X86_64']))
case(T, 'invalid_zip_exc', 'CreateFunction', CF(Code={'ZipFile': '$NOTZIP'}))
case('test_update_lambda_exceptions', 'invalid_role_arn_exc', 'UpdateFunctionConfiguration', {'FunctionName': '$FN', 'Role': 'r1'}, ['fn'])
case('test_function_arns', 'invalid_function_name_exc', 'CreateFunction', CF(FunctionName='invalid:function:name'))
case('test_function_arns', 'long_function_name_exc', 'CreateFunction', CF(FunctionName='a' * 65))
case('test_function_arns', 'function_arn_other_region_exc', 'CreateFunction', CF(FunctionName='arn:aws:lambda:ap-southeast-1:$ACCT:function:$FN'))
case('test_list_functions', 'list_functions_invalid_functionversion', 'ListFunctions', {'FunctionVersion': 'invalid'})
case('test_layer_function_quota_exception', 'create_function_with_six_layers', 'CreateFunction', CF(Layers=[f'arn:aws:lambda:$REGION:$ACCT:layer:$FN:1'] * 6))
case('test_snapstart_exceptions', 'create_function_invalid_snapstart_apply', 'CreateFunction', CF(SnapStart={'ApplyOn': 'invalidOption'}))
case('test_publish_with_wrong_sha256', 'publish_wrong_sha256_exc', 'PublishVersion', {'FunctionName': '$FN', 'CodeSha256': 'somenonexistentsha256'}, ['fn'])
case('test_function_lifecycle', 'delete_postdelete', 'GetFunction', {'FunctionName': '$FN'})
case('test_tag_lifecycle', 'list_tags_postdelete', 'ListTags', {'Resource': ARN})
case('test_invalid_invoke', 'invoke_function_name_pattern_exc', 'Invoke', {'FunctionName': 'arn:aws:lambda:$REGION:123400000000@function:myfn'})
# PutFunctionRecursionConfig is not served yet (issue 21 item 3).
# case('test_put_function_recursion_config_invalid_value', 'put_recursion_invalid_value_error', 'PutFunctionRecursionConfig', {'FunctionName': '$FN', 'RecursiveLoop': 'InvalidValue'}, ['fn'])
case('test_create_event_source_validation', 'invalid_starting_position', 'CreateEventSourceMapping', {'FunctionName': '$FN', 'EventSourceArn': 'arn:aws:dynamodb:$REGION:$ACCT:table/t/stream/2024-01-01T00:00:00.000', 'StartingPosition': 'invalid'}, ['fn'])

out = {'about': 'Lambda control-plane call sequences and the error AWS answered. Messages as recorded against AWS in LocalStack\'s AWS-validated snapshot tests (github.com/localstack/localstack, tests/aws/services/lambda_/test_lambda_api.snapshot.json; each case names its test and snapshot key). Placeholders: $FN a fresh function (or layer) name per case, $ACCT the account, $REGION the region, $ROLE a role ARN, $ZIP a valid zip, $NOTZIP bytes that are not a zip. given: fn = the function $FN (nodejs20.x), fn2 = a second function, v1/v2 = published versions, alias:N = alias N to version 1, layer = layer $FN version 1.', 'cases': cases}
json.dump(out, open(sys.argv[2], 'w'), indent=1)
print(len(cases))
