from collections import defaultdict

from odoo import fields
from odoo.models import LOG_ACCESS_COLUMNS, SQL_DEFAULT
from odoo.tools import SQL, split_every

INSERT_CHUNK = 1000


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


def create_rows(model, vals_list):
    """Create records of ``model`` with one INSERT per chunk of rows, where
    the ORM's ``create`` prepares each record alone (its defaults, its cache,
    the inverses of its fields): for rows the caller builds whole and in
    bulk, such as the outbox's e-mails. The ``create`` overrides of the
    model are skipped: only for models whose overrides the caller does
    itself, or whose overrides do nothing these rows need.

    As the ORM does: the columns no row gives get their defaults (a
    field's own default is evaluated for each row: a token is its own),
    values are converted by their fields (an HTML body is sanitized),
    stored computed fields no row gives are computed at the next flush,
    many2many values (``Command.link``, ``Command.set`` or ids) are
    inserted in their relation table, the inverses of many2one fields are
    invalidated, Python constraints and companies are checked. The parent
    of a model that inherits another (``_inherits``) is given, not made.
    Column names come from the model's fields, values are parameters.
    Superuser only. When a rule reacts to new records of the model (an
    automation rule, a follow-up rule), the rows go through ``create``,
    which runs it.

    :return: the new records, in the order of ``vals_list``
    """
    assert model.env.su, "create_rows() bypasses the access rights: superuser only"
    if not vals_list:
        return model.browse()
    if _creation_watched(model):
        # a rule reacts to new records: the ORM's create runs it
        return model.create(vals_list)
    parents_given = all(vals.get(name) for name in model._inherits.values() for vals in vals_list)
    if model._parent_store or not parents_given:
        raise ValueError(f"create_rows() cannot make the parents of {model._name} records")
    given = {name for vals in vals_list for name in vals}
    fields_ = model._fields
    for name in given:
        field = fields_[name]
        if not field.store or field.inherited or field.type == "one2many":
            raise ValueError(f"create_rows() cannot write {model._name}.{name}")
    defaults = model.default_get(
        [name for name, field in fields_.items() if field.store and not field.compute and name not in given]
    )
    # a field's own default is each row's (a token), unless the context or a user default sets it
    shared = {key[8:] for key in model.env.context if key.startswith("default_")}
    shared.update(model.env["ir.default"]._get_model_defaults(model._name))
    own_defaults = [fields_[name] for name in defaults if fields_[name].default and name not in shared]
    columns = [
        fields_[name]
        for name in sorted(given | set(defaults))
        if fields_[name].column_type and name not in LOG_ACCESS_COLUMNS
    ]
    # {field: [linked ids of each row]}, read before anything is written
    links = {
        fields_[name]: [_linked_ids(fields_[name], vals.get(name)) for vals in vals_list]
        for name in sorted(given)
        if fields_[name].type == "many2many"
    }
    now, uid = model.env.cr.now(), model.env.uid
    log_access = [now, uid, now, uid] if model._log_access else []
    names = [field.name for field in columns] + (
        ["create_date", "create_uid", "write_date", "write_uid"] if log_access else []
    )
    ids = []
    for chunk in split_every(INSERT_CHUNK, vals_list):
        rows = []
        for vals in chunk:
            row_vals = {
                **defaults,
                **{field.name: field.convert_to_write(field.default(model), model) for field in own_defaults},
                **vals,
            }
            rows.append(
                tuple(
                    field.convert_to_column_insert(row_vals[field.name], model, row_vals)
                    if field.name in row_vals
                    else SQL_DEFAULT
                    for field in columns
                )
                + tuple(log_access)
            )
        model.env.cr.execute(
            SQL(
                "INSERT INTO %s (%s) VALUES %s RETURNING id",
                SQL.identifier(model._table),
                SQL(", ").join(map(SQL.identifier, names)),
                SQL(", ").join(rows),
            )
        )
        ids.extend(row[0] for row in model.env.cr.fetchall())
    records = model.browse(ids)
    for field, linked in links.items():
        _insert_relation(records, field, linked)
    for field in columns:
        for inverse in model.pool.field_inverses[field]:
            model.env[inverse.model_name].invalidate_model([inverse.name])
    for field in fields_.values():
        if field.store and field.compute and field.name not in given:
            model.env.add_to_compute(field, records)
    records.modified(list(given | set(defaults)), create=True)
    records._validate_fields(given | set(defaults))
    if model._check_company_auto:
        records._check_company()
    return records


def _linked_ids(field, commands):
    """The ids that many2many ``commands`` (``Command.link``, ``Command.set``
    or ids) link a new record to."""
    ids = []
    for command in commands or ():
        if isinstance(command, int):
            ids.append(command)
        elif command[0] == fields.Command.LINK:
            ids.append(command[1])
        elif command[0] == fields.Command.SET:
            ids.extend(command[2])
        else:
            raise ValueError(f"create_rows() only links records through {field.model_name}.{field.name}")
    return ids


def _insert_relation(records, field, linked):
    """The rows of ``field``'s relation table: ``linked`` holds the ids each
    of ``records`` is linked to."""
    pairs = [(record.id, other) for record, ids in zip(records, linked, strict=True) for other in ids]
    for chunk in split_every(INSERT_CHUNK * 10, pairs):
        records.env.cr.execute(
            SQL(
                "INSERT INTO %s (%s, %s) VALUES %s ON CONFLICT DO NOTHING",
                SQL.identifier(field.relation),
                SQL.identifier(field.column1),
                SQL.identifier(field.column2),
                SQL(", ").join(chunk),
            )
        )


def _creation_watched(model):
    """Whether a rule may react to the creation of records of ``model``: an
    automation rule of Odoo's base_automation on the model, or a rule of the
    follow-up suite on a model with a chatter (``_followup_watches_creation``)."""
    if hasattr(model, "_followup_watches_creation") and model._followup_watches_creation():
        return True
    return "base.automation" in model.env and bool(
        model.env["base.automation"].sudo().search_count([("model_name", "=", model._name)], limit=1)
    )
