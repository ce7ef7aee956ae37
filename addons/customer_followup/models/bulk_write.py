from collections import defaultdict

from odoo import fields
from odoo.tools import SQL


def write_rows(model, values_by_record):
    """Write different values on many records of ``model`` in one UPDATE per
    set of columns, where the ORM would write each record in a query of its
    own. Only for stored columns that nothing computes from or tracks: the
    ORM's side effects are skipped. Column names come from the model's
    fields, values are parameters.

    :param values_by_record: {record: {field name: value for the column}}
    """
    by_columns = defaultdict(list)
    for record, vals in values_by_record.items():
        by_columns[tuple(sorted(vals))].append((record.id, vals))
    for columns, rows in by_columns.items():
        model.flush_model(list(columns))
        fields_ = [model._fields[name] for name in columns]
        row_code = "(%s" + "".join(f", %s::{field.column_type[1]}" for field in fields_) + ")"
        model.env.cr.execute(
            SQL(
                "UPDATE %s AS t SET %s, write_date = %s, write_uid = %s"
                " FROM (VALUES %s) AS v(%s) WHERE t.id = v.id",
                SQL.identifier(model._table),
                SQL(", ").join(
                    SQL("%s = v.%s", SQL.identifier(name), SQL.identifier(name)) for name in columns
                ),
                fields.Datetime.now(),
                model.env.uid,
                SQL(", ").join(
                    SQL(
                        row_code,
                        record_id,
                        *(field.convert_to_column(vals[field.name], model) for field in fields_),
                    )
                    for record_id, vals in rows
                ),
                SQL(", ").join(SQL.identifier(name) for name in ("id", *columns)),
            )
        )
    if values_by_record:
        model.browse([record.id for record in values_by_record]).invalidate_recordset(
            list({name for vals in values_by_record.values() for name in vals})
        )
