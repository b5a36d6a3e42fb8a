-- Which run made the published file, as the warehouse asset's publication row.
CREATE TABLE pub.publication AS
SELECT
    $run_id AS run_id,
    now()::TIMESTAMP AS published_at,
    $synthetic AS synthetic_data;
