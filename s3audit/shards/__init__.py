"""The analysis of an estate as independent tasks, run in one process, on a local process pool or on a Dask
cluster, and reused night after night where nothing they read has changed.

A run is split into

- **units**: a bucket with its access points (``units.py``); the unit of sharding and of reuse;
- **shard tasks**, each a list of units (``worker.run_shard``): in a worker process that has the snapshot,
  the engine and the principal stage (built once per process), the data stage for the shard's buckets and
  access points, the bucket, access point and path rules for them, and what the outputs ask of the graph
  (who can reach each bucket, pictures of the paths to sensitive data, paths from chosen principals);
- the **global task** (``worker.run_global``): the account, principal and statement rules;
- a **deterministic merge** (``results.py``): the findings of each rule in the order one process gives them,
  whatever the number of shards or workers, so the outputs do not change by a byte.

``executors.py`` runs the tasks (in-process, ``concurrent.futures.ProcessPoolExecutor``, or a Dask
``Client.get_executor()``: one code path), ``keys.py`` computes what each unit read as content digests, and
``store.py`` keeps the units' results in a scan history so that the next night recomputes only the units whose
digests changed. ``analysis.py`` puts it together for the commands.
"""
