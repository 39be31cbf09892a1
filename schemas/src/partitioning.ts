import { Partitioners } from 'kafkajs';

/**
 * The partition a keyed message goes to among `partitions`: Kafka's Java-compatible murmur2
 * partitioner, the one the ingest API, the producer helper and Java clients use. The projector uses
 * it to find an event's home ledger shard, so this is the single place that knows the rule.
 */
export function partitionForKey(key: string | Buffer, partitions: number): number {
  return defaultPartitioner({ topic: '', partitionMetadata: metadataFor(partitions), message: { key, value: null } });
}

const defaultPartitioner = Partitioners.DefaultPartitioner();
const metadataCache = new Map<number, PartitionMetadata[]>();

interface PartitionMetadata {
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
  partitionErrorCode: number;
}

function metadataFor(partitions: number): PartitionMetadata[] {
  let metadata = metadataCache.get(partitions);
  if (metadata === undefined) {
    metadata = Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      partitionErrorCode: 0,
    }));
    metadataCache.set(partitions, metadata);
  }
  return metadata;
}
