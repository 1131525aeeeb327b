"""Docker on a real engine (the ``docker`` SDK).

Example:
    >>> from executor_kit.backends.docker.executor import DockerExecutor
    >>> DockerExecutor.name
    'docker'
"""
