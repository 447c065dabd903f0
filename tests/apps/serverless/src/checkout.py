# Handlers of the checkout service (serverless.datadog-*.yml), a Python service instrumented by
# serverless-plugin-datadog.


def main(event, context):
    return {"statusCode": 200, "body": "checkout"}


def receipts(event, context):
    return {"statusCode": 200, "body": "receipts"}
