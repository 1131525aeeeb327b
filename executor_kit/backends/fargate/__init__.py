"""AWS ECS on Fargate through ``boto3``; ``emulator`` runs it offline against ``moto``.

Example:
    >>> from executor_kit.backends.fargate.executor import FargateExecutor
    >>> FargateExecutor.name
    'fargate'
"""
