"""One Logger, Tracer and Metrics setup for both functions.

Service name and metrics namespace come from the POWERTOOLS_* variables in template.yaml.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
