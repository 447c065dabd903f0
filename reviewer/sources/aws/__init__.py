"""What CloudFormation itself holds, read with boto3: deployed stacks as a baseline
(``deployed``, its errors explained by ``deployed_errors``) and change sets (``change_set``).
boto3 is imported only inside the functions that call AWS, so nothing else pays for it.
"""
