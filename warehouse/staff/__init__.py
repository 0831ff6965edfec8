"""Staff pages of the warehouse's catalogue ("Magazyn" in the menu): warehouses,
suppliers and products — lists searched and paged, add and edit forms, deactivation and
deletion. Each module is thin: it parses, calls one service (warehouse.catalog) or
selector (warehouse.staff.selectors) and renders."""
