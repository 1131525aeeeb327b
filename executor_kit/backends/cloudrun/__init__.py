"""Google Cloud Run Jobs over its REST API; ``emulator`` plays the API offline with ``responses``.

Example:
    >>> from executor_kit.backends.cloudrun.executor import CloudRunExecutor
    >>> CloudRunExecutor.name
    'cloudrun'
"""
