"""axc.runtime: what executes and measures the IR (simulators, metrics, cost model, kernels).

Importing it points numba's kernel cache at the user cache folder (`axc.runtime.caches`)
before any kernel module is loaded.
"""

from .caches import configure_kernel_cache

configure_kernel_cache()
