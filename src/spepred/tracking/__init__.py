"""Every ``import mlflow`` of spepred lives in this package (runs, registry, pyfunc)."""
