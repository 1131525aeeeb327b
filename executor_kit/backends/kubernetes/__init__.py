"""Kubernetes batch/v1 Jobs through the official client.

``executor`` holds ``KubernetesExecutor``; ``settings`` its options and the API
client they describe; ``manifests`` the Job and Secret it creates; ``observe``
how it reads them back; ``support`` error translation and naming rules;
``cluster`` and ``emulator`` serve the documented HTTP API on 127.0.0.1.

Example:
    >>> from executor_kit.backends.kubernetes.executor import KubernetesExecutor
    >>> KubernetesExecutor.name
    'kubernetes'
"""
