DROP INDEX topics_product_idx;
DROP TABLE downloads;
