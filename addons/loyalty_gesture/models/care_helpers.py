"""Plain helpers shared by the care models (no model)."""


def count_by(model, field, records):
    """``{record: count}`` of the ``model`` rows whose many2one ``field`` is one of
    ``records``, in one grouped query (records without rows are missing)."""
    return dict(model._read_group([(field, "in", records.ids)], [field], ["__count"]))
