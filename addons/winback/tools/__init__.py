from . import churn
