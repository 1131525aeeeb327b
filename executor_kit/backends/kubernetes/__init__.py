"""Kubernetes batch/v1 Jobs through the official client; ``emulator`` serves the documented HTTP API on 127.0.0.1.

Example:
    >>> from executor_kit.backends.kubernetes.executor import KubernetesExecutor
    >>> KubernetesExecutor.name
    'kubernetes'
"""
