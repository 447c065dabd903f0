"""What runs inside AWS Lambda as a CloudFormation Lambda Hook (``lambda_entry``)."""
