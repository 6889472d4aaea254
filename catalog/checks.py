"""System checks (`manage.py check`) for the catalog's data: a credit type whose certificates
would be refused, because an item they must carry is not filled in yet.

The check reads the database, which Django's checks usually leave to `--database`; this one
runs with every `manage.py check` (and before `migrate`, `runserver`), since a missing
provider address is what staff must hear about before a nurse's certificate is due. A
database that can't be read yet (not migrated, not reachable) is not this check's concern.
"""

from django.core.checks import Warning
from django.db import DatabaseError, connection
from django.utils.translation import gettext as _

from .certificate_items import items_missing_text
from .models import CreditType
from .selectors import credit_type_missing_items

CREDIT_TYPE_INCOMPLETE = "catalog.W001"


def check_credit_types(app_configs=None, **kwargs) -> list[Warning]:
    # A process that runs the checks at start (Celery's worker does) keeps no connection
    # open for them.
    was_connected = connection.connection is not None
    try:
        if CreditType._meta.db_table not in connection.introspection.table_names():
            return []
        credit_types = list(CreditType.objects.order_by("sort_order", "name"))
        incomplete = [
            (credit_type, credit_type_missing_items(credit_type)) for credit_type in credit_types
        ]
    except DatabaseError:
        return []
    finally:
        if not was_connected and not connection.in_atomic_block:
            connection.close()
    return [
        Warning(
            _("%(name)s certificates would be refused: %(items)s.")
            % {
                "name": credit_type.short_name,
                "items": items_missing_text(missing, unit=credit_type.unit),
            },
            hint=_("Fill them in on the credit type “%(credit_type)s” (Admin → Credit types).")
            % {"credit_type": credit_type.name},
            obj=credit_type,
            id=CREDIT_TYPE_INCOMPLETE,
        )
        for credit_type, missing in incomplete
        if missing
    ]
