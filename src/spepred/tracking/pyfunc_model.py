"""MLflow "model from code": the logged pyfunc model is this file plus the bundle artifact.

MLflow stores this source file instead of a cloudpickle of a Python object. The model
accepts the raw formulation table (it featurizes inside) and returns one row per input row
with spepred's prediction columns only (``OUTPUT_COLUMNS``, in that order, the caller's
index kept): no input column comes first, so ``mlflow.pyfunc.spark_udf`` and
``mlflow models serve`` see the predictions, typed as in the logged output schema.
Loading any MLflow model still runs code that came with it, so only load models from a
tracking server you trust; spepred's own bundle loader runs no code from disk.
"""

from __future__ import annotations

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel


class SpepredPyfunc(PythonModel):
    """Formulation table in, σ / window / strength with intervals and domain flags out."""

    def load_context(self, context) -> None:
        from spepred.models.predictor import Predictor

        self.predictor = Predictor.load(context.artifacts["bundle"])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        from spepred.tracking.runs import prediction_columns

        table = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        return prediction_columns(self.predictor.predict(table))


mlflow.models.set_model(SpepredPyfunc())
