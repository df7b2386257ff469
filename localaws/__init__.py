"""Local AWS for tests, the demo and benchmarks: moto, plus the SageMaker behaviour moto lacks.

Deliberately empty: importing moto takes seconds, and `localaws.functions` (the moto-free
Lambda stand-in) must not pay for it. Import what you need from its module.
"""
