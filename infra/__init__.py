"""Infrastructure: the CDK app for AWS, and the same resources created on the local stack."""
