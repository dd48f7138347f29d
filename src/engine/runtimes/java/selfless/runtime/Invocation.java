// The Context a handler gets for one invocation, with its Cognito identity and mobile client context.
package selfless.runtime;

import com.amazonaws.services.lambda.runtime.Client;
import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import java.util.Map;

final class Invocation implements Context {
    private final String requestId;
    private final String arn;
    private final long deadlineMs;
    private final String traceId;
    private final String tenantId;
    private final CognitoIdentity identity;
    private final ClientContext clientContext;
    private final LambdaLogger logger;

    Invocation(RuntimeApi.Invocation inv, LambdaLogger logger) {
        this.requestId = inv.header("Lambda-Runtime-Aws-Request-Id");
        this.arn = inv.header("Lambda-Runtime-Invoked-Function-Arn");
        String deadline = inv.header("Lambda-Runtime-Deadline-Ms");
        long d;
        try {
            d = deadline == null ? System.currentTimeMillis() + 3000 : Long.parseLong(deadline);
        } catch (NumberFormatException e) {
            d = System.currentTimeMillis() + 3000;
        }
        this.deadlineMs = d;
        this.traceId = inv.header("Lambda-Runtime-Trace-Id");
        this.tenantId = inv.header("Lambda-Runtime-Aws-Tenant-Id");
        this.identity = identity(inv.header("Lambda-Runtime-Cognito-Identity"));
        this.clientContext = clientContext(inv.header("Lambda-Runtime-Client-Context"));
        this.logger = logger;
    }

    private static Map<?, ?> object(String header) {
        if (header == null || header.isEmpty()) return null;
        try {
            Object v = Json.parse(header);
            return v instanceof Map ? (Map<?, ?>) v : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String str(Map<?, ?> m, String k) {
        Object v = m == null ? null : m.get(k);
        return v == null ? null : v.toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> strings(Object v) {
        if (!(v instanceof Map)) return null;
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) out.put(String.valueOf(e.getKey()), e.getValue() == null ? null : e.getValue().toString());
        return out;
    }

    private static CognitoIdentity identity(String header) {
        Map<?, ?> m = object(header);
        if (m == null) return null;
        String id = str(m, "cognitoIdentityId");
        String pool = str(m, "cognitoIdentityPoolId");
        return new CognitoIdentity() {
            public String getIdentityId() {
                return id;
            }

            public String getIdentityPoolId() {
                return pool;
            }
        };
    }

    private static ClientContext clientContext(String header) {
        Map<?, ?> m = object(header);
        if (m == null) return null;
        Map<?, ?> c = m.get("client") instanceof Map ? (Map<?, ?>) m.get("client") : null;
        Client client = c == null ? null : new Client() {
            public String getInstallationId() {
                return str(c, "installation_id");
            }

            public String getAppTitle() {
                return str(c, "app_title");
            }

            public String getAppVersionName() {
                return str(c, "app_version_name");
            }

            public String getAppVersionCode() {
                return str(c, "app_version_code");
            }

            public String getAppPackageName() {
                return str(c, "app_package_name");
            }
        };
        Map<String, String> custom = strings(m.get("custom"));
        Map<String, String> env = strings(m.get("env"));
        return new ClientContext() {
            public Client getClient() {
                return client;
            }

            public Map<String, String> getCustom() {
                return custom;
            }

            public Map<String, String> getEnvironment() {
                return env;
            }
        };
    }

    String requestId() {
        return requestId;
    }

    public String getAwsRequestId() {
        return requestId;
    }

    public String getLogGroupName() {
        return System.getenv("AWS_LAMBDA_LOG_GROUP_NAME");
    }

    public String getLogStreamName() {
        return System.getenv("AWS_LAMBDA_LOG_STREAM_NAME");
    }

    public String getFunctionName() {
        return System.getenv("AWS_LAMBDA_FUNCTION_NAME");
    }

    public String getFunctionVersion() {
        return System.getenv("AWS_LAMBDA_FUNCTION_VERSION");
    }

    public String getInvokedFunctionArn() {
        return arn;
    }

    public CognitoIdentity getIdentity() {
        return identity;
    }

    public ClientContext getClientContext() {
        return clientContext;
    }

    public int getRemainingTimeInMillis() {
        return (int) Math.max(0, deadlineMs - System.currentTimeMillis());
    }

    public int getMemoryLimitInMB() {
        try {
            return Integer.parseInt(System.getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"));
        } catch (RuntimeException e) {
            return 128;
        }
    }

    public LambdaLogger getLogger() {
        return logger;
    }

    public String getXrayTraceId() {
        return traceId;
    }

    public String getTenantId() {
        return tenantId;
    }
}
