-- Merchant snapshots, keeping only merchants with enough volume to trust their rates.
SELECT
    merchant_id,
    snapshot_time,
    merchant_category,
    merchant_txn_count_30d,
    merchant_avg_amount_30d,
    merchant_fraud_rate_90d
FROM merchant_snapshots
WHERE merchant_txn_count_30d >= {{ min_txn_count }}
