"""Docker on a real engine (the ``docker`` SDK).

Modules: ``executor`` (``DockerExecutor``), ``settings`` (``DockerSettings``),
``client`` (the SDK client and its transport), ``errors`` (``docker_errors``),
``spec`` (a job's container), ``state`` and ``observe`` (a container read into
status and result), ``oom`` (the engine's OOM events), ``stream`` (the
multiplexed log stream), ``probe_image``, ``hooks`` (conformance hooks).

Example:
    >>> from executor_kit.backends.docker.executor import DockerExecutor
    >>> DockerExecutor.name
    'docker'
"""
