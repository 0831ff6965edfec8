"""The telephony's catalogue, as staff keep it: billing groups, price lists and their
rules (typed one by one or imported from a CSV file), the exchanges' AMI access, and the
removal of a number range.

Every write checks its input first and says what is wrong per field
(``ValidationError``), then runs in one transaction and writes the action log; nothing
is saved when anything is wrong. A rule's values are checked by one function
(``rule_clean``) whether they come from the form, the API or a line of a CSV file.
"""

from .checks import prefix_clean, price_clean
from .exchanges import (
    ConnectionCheck,
    exchange_server_check,
    exchange_server_create,
    exchange_server_delete,
    exchange_server_delete_refusal,
    exchange_server_update,
)
from .prices import (
    billing_group_create,
    billing_group_delete,
    billing_group_delete_refusal,
    billing_group_update,
    price_list_create,
    price_list_delete,
    price_list_delete_refusal,
    price_rule_delete,
    price_rule_set,
    price_rule_set_allowed,
    price_rules_import,
)
from .ranges import number_range_delete, number_range_delete_refusal

__all__ = [
    "ConnectionCheck",
    "billing_group_create",
    "billing_group_delete",
    "billing_group_delete_refusal",
    "billing_group_update",
    "exchange_server_check",
    "exchange_server_create",
    "exchange_server_delete",
    "exchange_server_delete_refusal",
    "exchange_server_update",
    "number_range_delete",
    "number_range_delete_refusal",
    "prefix_clean",
    "price_clean",
    "price_list_create",
    "price_list_delete",
    "price_list_delete_refusal",
    "price_rule_delete",
    "price_rule_set",
    "price_rule_set_allowed",
    "price_rules_import",
]
