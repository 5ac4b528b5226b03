"""Tests of batch.py and cluster.py: one notice for many villages, locally and on a Dask cluster."""
