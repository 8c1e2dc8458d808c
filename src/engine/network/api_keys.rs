//! Kafka API keys by the names librdkafka prints (`rd_kafka_ApiKey2str`), with kafkajs' name for
//! each where it differs (kafkajs says `ApiVersions`, `GroupCoordinator`).

/// librdkafka's name, the API key, kafkajs' name.
const API_KEYS: &[(&str, i32, &str)] = &[
    ("Produce", 0, "Produce"),
    ("Fetch", 1, "Fetch"),
    ("ListOffsets", 2, "ListOffsets"),
    ("Metadata", 3, "Metadata"),
    ("LeaderAndIsr", 4, "LeaderAndIsr"),
    ("StopReplica", 5, "StopReplica"),
    ("UpdateMetadata", 6, "UpdateMetadata"),
    ("ControlledShutdown", 7, "ControlledShutdown"),
    ("OffsetCommit", 8, "OffsetCommit"),
    ("OffsetFetch", 9, "OffsetFetch"),
    ("FindCoordinator", 10, "GroupCoordinator"),
    ("JoinGroup", 11, "JoinGroup"),
    ("Heartbeat", 12, "Heartbeat"),
    ("LeaveGroup", 13, "LeaveGroup"),
    ("SyncGroup", 14, "SyncGroup"),
    ("DescribeGroups", 15, "DescribeGroups"),
    ("ListGroups", 16, "ListGroups"),
    ("SaslHandshake", 17, "SaslHandshake"),
    ("ApiVersion", 18, "ApiVersions"),
    ("CreateTopics", 19, "CreateTopics"),
    ("DeleteTopics", 20, "DeleteTopics"),
    ("DeleteRecords", 21, "DeleteRecords"),
    ("InitProducerId", 22, "InitProducerId"),
    ("OffsetForLeaderEpoch", 23, "OffsetForLeaderEpoch"),
    ("AddPartitionsToTxn", 24, "AddPartitionsToTxn"),
    ("AddOffsetsToTxn", 25, "AddOffsetsToTxn"),
    ("EndTxn", 26, "EndTxn"),
    ("WriteTxnMarkers", 27, "WriteTxnMarkers"),
    ("TxnOffsetCommit", 28, "TxnOffsetCommit"),
    ("DescribeAcls", 29, "DescribeAcls"),
    ("CreateAcls", 30, "CreateAcls"),
    ("DeleteAcls", 31, "DeleteAcls"),
    ("DescribeConfigs", 32, "DescribeConfigs"),
    ("AlterConfigs", 33, "AlterConfigs"),
    ("AlterReplicaLogDirs", 34, "AlterReplicaLogDirs"),
    ("DescribeLogDirs", 35, "DescribeLogDirs"),
    ("SaslAuthenticate", 36, "SaslAuthenticate"),
    ("CreatePartitions", 37, "CreatePartitions"),
    ("CreateDelegationToken", 38, "CreateDelegationToken"),
    ("RenewDelegationToken", 39, "RenewDelegationToken"),
    ("ExpireDelegationToken", 40, "ExpireDelegationToken"),
    ("DescribeDelegationToken", 41, "DescribeDelegationToken"),
    ("DeleteGroups", 42, "DeleteGroups"),
    ("ElectLeadersRequest", 43, "ElectPreferredLeaders"),
    (
        "IncrementalAlterConfigsRequest",
        44,
        "IncrementalAlterConfigs",
    ),
    (
        "AlterPartitionReassignmentsRequest",
        45,
        "AlterPartitionReassignments",
    ),
    (
        "ListPartitionReassignmentsRequest",
        46,
        "ListPartitionReassignments",
    ),
    ("OffsetDeleteRequest", 47, "OffsetDelete"),
    ("DescribeClientQuotasRequest", 48, "DescribeClientQuotas"),
    ("AlterClientQuotasRequest", 49, "AlterClientQuotas"),
    (
        "DescribeUserScramCredentialsRequest",
        50,
        "DescribeUserScramCredentials",
    ),
    (
        "AlterUserScramCredentialsRequest",
        51,
        "AlterUserScramCredentials",
    ),
    ("DescribeCluster", 60, "DescribeCluster"),
    ("DescribeProducers", 61, "DescribeProducers"),
    ("DescribeTransactions", 65, "DescribeTransactions"),
    ("ListTransactions", 66, "ListTransactions"),
    ("ConsumerGroupHeartbeat", 68, "ConsumerGroupHeartbeat"),
    ("ConsumerGroupDescribe", 69, "ConsumerGroupDescribe"),
    ("GetTelemetrySubscriptions", 71, "GetTelemetrySubscriptions"),
    ("PushTelemetry", 72, "PushTelemetry"),
];

/// The API key and kafkajs' name for librdkafka's name of an API; `(-1, name)` for one not in
/// the table (a newer API).
pub fn api_key(librdkafka_name: &str) -> (i32, &str) {
    API_KEYS
        .iter()
        .find(|(name, _, _)| *name == librdkafka_name)
        .map_or((-1, librdkafka_name), |(_, key, kafkajs)| (*key, kafkajs))
}

#[cfg(test)]
mod tests {
    use super::api_key;

    #[test]
    fn names_map_to_keys_and_kafkajs_names() {
        assert_eq!(api_key("Metadata"), (3, "Metadata"));
        assert_eq!(api_key("ApiVersion"), (18, "ApiVersions"));
        assert_eq!(api_key("FindCoordinator"), (10, "GroupCoordinator"));
        assert_eq!(api_key("Unknown-99?"), (-1, "Unknown-99?"));
    }
}
