"""Imported by the feature workers' fork server only (the last of its preload modules).

It limits BLAS and OpenMP to one thread *in the server*, before any worker is forked, so every
worker inherits single-threaded libraries and never has to set the limit itself. Setting it in
a forked worker is what cost time: OpenBLAS shuts its threads down at fork and restarts them
lazily in the child on the first call that touches them, ``openblas_set_num_threads``
included, and the new threads busy-wait for work for up to ~0.1 s. On 2 cores that took this
process's core while a worker started (measured: its next chunk ran 50-60 ms late).

Never import this module anywhere else: the limit lasts for the life of the process.
"""

from threadpoolctl import threadpool_limits

threadpool_limits(1)
