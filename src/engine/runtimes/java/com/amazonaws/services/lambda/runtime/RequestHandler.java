// A handler of typed events: the runtime deserializes the event into I and serializes the O it returns.
package com.amazonaws.services.lambda.runtime;

public interface RequestHandler<I, O> {
    O handleRequest(I input, Context context);
}
