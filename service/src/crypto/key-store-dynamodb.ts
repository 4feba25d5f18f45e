// Production key store: a DynamoDB table (partition key conversationId, sort key period), outside every
// database snapshot. Destroying an item is final once the table's own point-in-time backups age out.
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { KeyStore, StoredKey } from './key-store.js';

/** The subset of DynamoDBClient used here, so tests can inject a mock. */
export type DynamoDbSender = Pick<DynamoDBClient, 'send'>;

export class DynamoDbKeyStore implements KeyStore {
  constructor(
    private readonly client: DynamoDbSender,
    private readonly table: string,
  ) {}

  private static key(conversationId: string, period: string) {
    return { conversationId: { S: conversationId }, period: { S: period } };
  }

  async get(conversationId: string, period: string): Promise<StoredKey | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.table,
        Key: DynamoDbKeyStore.key(conversationId, period),
        // A key created a moment ago by another container must be seen, or a second key would be made.
        ConsistentRead: true,
      }),
    );
    const item = out.Item;
    if (!item?.wrappedKey?.B || !item.kmsKeyId?.S) return undefined;
    return { wrappedKey: Buffer.from(item.wrappedKey.B), kmsKeyId: item.kmsKeyId.S };
  }

  async createIfAbsent(conversationId: string, period: string, key: StoredKey): Promise<StoredKey> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...DynamoDbKeyStore.key(conversationId, period),
            wrappedKey: { B: key.wrappedKey },
            kmsKeyId: { S: key.kmsKeyId },
            createdAt: { S: new Date().toISOString() },
          },
          ConditionExpression: 'attribute_not_exists(conversationId)',
        }),
      );
      return key;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      // Another container won the race: everyone uses its key.
      const winner = await this.get(conversationId, period);
      if (!winner) throw new Error('key store: conditional write failed but no key is stored', { cause: err });
      return winner;
    }
  }

  async destroy(conversationId: string, period: string): Promise<boolean> {
    const out = await this.client.send(
      new DeleteItemCommand({
        TableName: this.table,
        Key: DynamoDbKeyStore.key(conversationId, period),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return out.Attributes !== undefined;
  }

  async listPeriods(conversationId: string): Promise<string[]> {
    const periods: string[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'conversationId = :c',
          ExpressionAttributeValues: { ':c': { S: conversationId } },
          ExpressionAttributeNames: { '#p': 'period' },
          ProjectionExpression: '#p',
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) if (item.period?.S) periods.push(item.period.S);
      start = out.LastEvaluatedKey;
    } while (start);
    return periods.sort();
  }
}
