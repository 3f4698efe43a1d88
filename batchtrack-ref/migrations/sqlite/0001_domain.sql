-- BatchTrack's domain on SQLite. Quantities and money (`Amount`) are
-- INTEGERs of millionths; dates and times are ISO 8601 text. Every tenant
-- table has its own organization column, first in its keys, and references
-- between tenant tables are composite, so that the database refuses a
-- reference to another organization's row.

CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    symbol TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('weight', 'volume', 'count'))
);

CREATE TABLE unit_conversions (
    id INTEGER PRIMARY KEY,
    from_unit_id INTEGER NOT NULL UNIQUE REFERENCES units (id),
    to_unit_id INTEGER NOT NULL REFERENCES units (id),
    numerator INTEGER NOT NULL CHECK (numerator > 0),
    denominator INTEGER NOT NULL CHECK (denominator > 0)
);

CREATE TABLE inventory_settings (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    consumption_order TEXT NOT NULL CHECK (consumption_order IN ('received_first', 'expiring_first')),
    UNIQUE (organization_id, id),
    UNIQUE (organization_id)
);

CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    color TEXT,
    is_active BOOLEAN NOT NULL,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, name)
);

CREATE TABLE ingredients (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    category_id INTEGER,
    stock_unit_id INTEGER NOT NULL REFERENCES units (id),
    density INTEGER CHECK (density > 0),
    unit_weight INTEGER CHECK (unit_weight > 0),
    low_stock_threshold INTEGER CHECK (low_stock_threshold >= 0),
    is_active BOOLEAN NOT NULL,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, name),
    FOREIGN KEY (organization_id, category_id) REFERENCES categories (organization_id, id)
);
CREATE INDEX ingredients_by_category ON ingredients (organization_id, category_id);

CREATE TABLE inventory_items (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    ingredient_id INTEGER NOT NULL,
    lot_number TEXT NOT NULL,
    supplier TEXT,
    received_on TEXT NOT NULL,
    expires_on TEXT,
    received_quantity INTEGER NOT NULL CHECK (received_quantity > 0),
    quantity INTEGER NOT NULL CHECK (quantity >= 0),
    cost_per_unit INTEGER NOT NULL CHECK (cost_per_unit >= 0),
    purchase_unit_id INTEGER NOT NULL REFERENCES units (id),
    purchase_quantity INTEGER NOT NULL CHECK (purchase_quantity > 0),
    purchase_cost_per_unit INTEGER NOT NULL CHECK (purchase_cost_per_unit >= 0),
    received_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, ingredient_id) REFERENCES ingredients (organization_id, id)
);
CREATE INDEX inventory_items_by_ingredient ON inventory_items (organization_id, ingredient_id, received_on, id);
CREATE INDEX inventory_items_by_expiry ON inventory_items (organization_id, ingredient_id, expires_on);

CREATE TABLE recipes (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    description TEXT,
    is_active BOOLEAN NOT NULL,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, name)
);

CREATE TABLE recipe_ingredients (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    recipe_id INTEGER NOT NULL,
    ingredient_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_id INTEGER NOT NULL REFERENCES units (id),
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, recipe_id, ingredient_id),
    FOREIGN KEY (organization_id, recipe_id) REFERENCES recipes (organization_id, id),
    FOREIGN KEY (organization_id, ingredient_id) REFERENCES ingredients (organization_id, id)
);
CREATE INDEX recipe_ingredients_by_ingredient ON recipe_ingredients (organization_id, ingredient_id);

CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    recipe_id INTEGER NOT NULL,
    scale INTEGER NOT NULL CHECK (scale > 0),
    status TEXT NOT NULL CHECK (status IN ('in_progress', 'finished', 'cancelled')),
    total_cost INTEGER NOT NULL CHECK (total_cost >= 0),
    started_by INTEGER REFERENCES users (id),
    started_at TEXT NOT NULL,
    ended_at TEXT,
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, recipe_id) REFERENCES recipes (organization_id, id)
);
CREATE INDEX batches_by_recipe ON batches (organization_id, recipe_id);
CREATE INDEX batches_by_status ON batches (organization_id, status);

CREATE TABLE inventory_adjustments (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    inventory_item_id INTEGER NOT NULL,
    adjustment_type TEXT NOT NULL CHECK (adjustment_type IN ('spoilage', 'recount', 'correction')),
    quantity_change INTEGER NOT NULL,
    reason TEXT NOT NULL,
    approved_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, inventory_item_id) REFERENCES inventory_items (organization_id, id)
);
CREATE INDEX inventory_adjustments_by_inventory_item ON inventory_adjustments (organization_id, inventory_item_id);

CREATE TABLE inventory_history (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    inventory_item_id INTEGER NOT NULL,
    ingredient_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('receipt', 'batch_use', 'batch_return', 'adjustment')),
    quantity_change INTEGER NOT NULL CHECK (quantity_change <> 0),
    batch_id INTEGER,
    adjustment_id INTEGER,
    user_id INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, inventory_item_id) REFERENCES inventory_items (organization_id, id),
    FOREIGN KEY (organization_id, ingredient_id) REFERENCES ingredients (organization_id, id),
    FOREIGN KEY (organization_id, batch_id) REFERENCES batches (organization_id, id),
    FOREIGN KEY (organization_id, adjustment_id) REFERENCES inventory_adjustments (organization_id, id)
);
CREATE INDEX inventory_history_by_inventory_item ON inventory_history (organization_id, inventory_item_id);
CREATE INDEX inventory_history_by_ingredient ON inventory_history (organization_id, ingredient_id);
CREATE INDEX inventory_history_by_batch ON inventory_history (organization_id, batch_id);
CREATE INDEX inventory_history_by_adjustment ON inventory_history (organization_id, adjustment_id);

CREATE TABLE batch_ingredients (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    batch_id INTEGER NOT NULL,
    ingredient_id INTEGER NOT NULL,
    inventory_item_id INTEGER NOT NULL,
    quantity_used INTEGER NOT NULL CHECK (quantity_used > 0),
    cost_per_unit INTEGER NOT NULL CHECK (cost_per_unit >= 0),
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, batch_id, inventory_item_id),
    FOREIGN KEY (organization_id, batch_id) REFERENCES batches (organization_id, id),
    FOREIGN KEY (organization_id, ingredient_id) REFERENCES ingredients (organization_id, id),
    FOREIGN KEY (organization_id, inventory_item_id) REFERENCES inventory_items (organization_id, id)
);
CREATE INDEX batch_ingredients_by_ingredient ON batch_ingredients (organization_id, ingredient_id);
CREATE INDEX batch_ingredients_by_inventory_item ON batch_ingredients (organization_id, inventory_item_id);

CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    description TEXT,
    is_active BOOLEAN NOT NULL,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, name)
);

CREATE TABLE product_skus (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    product_id INTEGER NOT NULL,
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    price INTEGER NOT NULL CHECK (price >= 0),
    is_active BOOLEAN NOT NULL,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, sku),
    FOREIGN KEY (organization_id, product_id) REFERENCES products (organization_id, id)
);
CREATE INDEX product_skus_by_product ON product_skus (organization_id, product_id);

CREATE TABLE product_inventory (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    sku_id INTEGER NOT NULL,
    batch_id INTEGER NOT NULL,
    batch_code TEXT NOT NULL,
    produced_quantity INTEGER NOT NULL CHECK (produced_quantity > 0),
    quantity INTEGER NOT NULL CHECK (quantity >= 0),
    cost_per_unit INTEGER NOT NULL CHECK (cost_per_unit >= 0),
    expires_on TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, batch_id),
    UNIQUE (organization_id, batch_code),
    FOREIGN KEY (organization_id, sku_id) REFERENCES product_skus (organization_id, id),
    FOREIGN KEY (organization_id, batch_id) REFERENCES batches (organization_id, id)
);
CREATE INDEX product_inventory_by_sku ON product_inventory (organization_id, sku_id, created_at, id);

CREATE TABLE sales (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    sku_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('sale', 'shipment')),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    reference TEXT,
    recorded_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, sku_id) REFERENCES product_skus (organization_id, id)
);
CREATE INDEX sales_by_sku ON sales (organization_id, sku_id);

CREATE TABLE sale_allocations (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    sale_id INTEGER NOT NULL,
    product_inventory_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, sale_id) REFERENCES sales (organization_id, id),
    FOREIGN KEY (organization_id, product_inventory_id) REFERENCES product_inventory (organization_id, id)
);
CREATE INDEX sale_allocations_by_sale ON sale_allocations (organization_id, sale_id);
CREATE INDEX sale_allocations_by_product_inventory ON sale_allocations (organization_id, product_inventory_id);

-- Movements of stock are never rewritten: a correction is a new row.
CREATE TRIGGER inventory_history_no_update BEFORE UPDATE ON inventory_history
BEGIN
    SELECT RAISE(ABORT, 'inventory_history is append-only');
END;
CREATE TRIGGER inventory_history_no_delete BEFORE DELETE ON inventory_history
BEGIN
    SELECT RAISE(ABORT, 'inventory_history is append-only');
END;
CREATE TRIGGER inventory_adjustments_no_update BEFORE UPDATE ON inventory_adjustments
BEGIN
    SELECT RAISE(ABORT, 'inventory_adjustments is append-only');
END;
CREATE TRIGGER inventory_adjustments_no_delete BEFORE DELETE ON inventory_adjustments
BEGIN
    SELECT RAISE(ABORT, 'inventory_adjustments is append-only');
END;
CREATE TRIGGER batch_ingredients_no_update BEFORE UPDATE ON batch_ingredients
BEGIN
    SELECT RAISE(ABORT, 'batch_ingredients is append-only');
END;
CREATE TRIGGER batch_ingredients_no_delete BEFORE DELETE ON batch_ingredients
BEGIN
    SELECT RAISE(ABORT, 'batch_ingredients is append-only');
END;
CREATE TRIGGER sales_no_update BEFORE UPDATE ON sales
BEGIN
    SELECT RAISE(ABORT, 'sales is append-only');
END;
CREATE TRIGGER sales_no_delete BEFORE DELETE ON sales
BEGIN
    SELECT RAISE(ABORT, 'sales is append-only');
END;
CREATE TRIGGER sale_allocations_no_update BEFORE UPDATE ON sale_allocations
BEGIN
    SELECT RAISE(ABORT, 'sale_allocations is append-only');
END;
CREATE TRIGGER sale_allocations_no_delete BEFORE DELETE ON sale_allocations
BEGIN
    SELECT RAISE(ABORT, 'sale_allocations is append-only');
END;
