"""The comment classifier: pure Python and scikit-learn, no Django.

Each label has its own linear model over hashed word and character n-grams, trained on its own
dataset. A trained model is a dict {label: Pipeline}, serialized to skops bytes; the Django side
(`comments.model_versions`) stores those bytes as `ClassifierModel` rows and loads the active one.

Modules: `labels` (the label names, importable without scikit-learn), `data` (datasets and the
validation split), `pipeline` (the model for one label), `training`, `metrics`, `thresholds`,
`explain`, `artifact` (skops with trusted types), `runtime` (a loaded model that scores),
`promotion` and `decisions` (moderators' decisions as examples).

This package re-exports nothing: importing it must stay free, so that a process that only names
labels (the web) never loads scikit-learn. Import the module you need.
"""
