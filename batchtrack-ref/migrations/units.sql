-- The units every organization uses, with exact factors to the base unit
-- of their kind (g, ml, each): one `from` unit is numerator / denominator
-- base units. US customary volumes derive from the fluid ounce,
-- 29.5735295625 ml; the avoirdupois pound is 453.59237 g.
INSERT INTO units (symbol, name, kind) VALUES
    ('g', 'gram', 'weight'),
    ('mg', 'milligram', 'weight'),
    ('kg', 'kilogram', 'weight'),
    ('oz', 'ounce', 'weight'),
    ('lb', 'pound', 'weight'),
    ('ml', 'millilitre', 'volume'),
    ('l', 'litre', 'volume'),
    ('tsp', 'teaspoon', 'volume'),
    ('tbsp', 'tablespoon', 'volume'),
    ('fl_oz', 'fluid ounce', 'volume'),
    ('cup', 'cup', 'volume'),
    ('pt', 'pint', 'volume'),
    ('gal', 'gallon', 'volume'),
    ('each', 'piece', 'count'),
    ('dozen', 'dozen', 'count');

INSERT INTO unit_conversions (from_unit_id, to_unit_id, numerator, denominator)
SELECT f.id, t.id, c.numerator, c.denominator
FROM (
    SELECT 'mg' AS symbol, 'g' AS base, 1 AS numerator, 1000 AS denominator
    UNION ALL SELECT 'kg', 'g', 1000, 1
    UNION ALL SELECT 'oz', 'g', 45359237, 1600000
    UNION ALL SELECT 'lb', 'g', 45359237, 100000
    UNION ALL SELECT 'l', 'ml', 1000, 1
    UNION ALL SELECT 'tsp', 'ml', 473176473, 96000000
    UNION ALL SELECT 'tbsp', 'ml', 473176473, 32000000
    UNION ALL SELECT 'fl_oz', 'ml', 473176473, 16000000
    UNION ALL SELECT 'cup', 'ml', 473176473, 2000000
    UNION ALL SELECT 'pt', 'ml', 473176473, 1000000
    UNION ALL SELECT 'gal', 'ml', 473176473, 125000
    UNION ALL SELECT 'dozen', 'each', 12, 1
) AS c
JOIN units AS f ON f.symbol = c.symbol
JOIN units AS t ON t.symbol = c.base;
