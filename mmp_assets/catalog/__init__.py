"""The model catalog: what a recipe may name — metrics and estimators — and what each one is.

The lowest layer of mmp_assets: it imports no other mmp package, so recipes, training and
evaluation all read the same definitions.
"""
