"""An application that runs batches of containers through any ContainerExecutor."""
