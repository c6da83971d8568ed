"""axc.passes.infra: The pass infrastructure: the pass base class and context, typed options, pipelines, the manager and the registry."""
