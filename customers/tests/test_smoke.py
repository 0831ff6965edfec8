from customers.services import customer_by_virtual_account


def test_customer_gets_number_and_reversible_account(customer):
    assert customer.number == 1
    assert len(customer.virtual_account) == 26
    assert customer_by_virtual_account("PL" + customer.virtual_account) == customer
