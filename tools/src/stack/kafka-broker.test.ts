import { describe, expect, it } from 'vitest';
import { kraftServerProperties } from './kafka-broker.js';

const setting = (props: string, key: string) => new RegExp(`^${key.replace(/\./g, '\\.')}=(.*)$`, 'm').exec(props)?.[1];

describe('kraftServerProperties', () => {
  it('keeps a single node to one replica of everything', () => {
    const props = kraftServerProperties({ port: 9092, controllerPort: 9093, dataDir: '/d' });
    expect(setting(props, 'node.id')).toBe('1');
    expect(setting(props, 'controller.quorum.voters')).toBe('1@127.0.0.1:9093');
    for (const key of ['default.replication.factor', 'offsets.topic.replication.factor', 'min.insync.replicas']) {
      expect(setting(props, key)).toBe('1');
    }
  });

  it('makes every node of three a voter, with three replicas of which two must acknowledge', () => {
    const props = kraftServerProperties({
      port: 9094,
      controllerPort: 9095,
      dataDir: '/d',
      cluster: { nodeId: 2, controllerPorts: [9093, 9095, 9097] },
    });
    expect(setting(props, 'node.id')).toBe('2');
    expect(setting(props, 'controller.quorum.voters')).toBe('1@127.0.0.1:9093,2@127.0.0.1:9095,3@127.0.0.1:9097');
    expect(setting(props, 'listeners')).toBe('PLAINTEXT://127.0.0.1:9094,CONTROLLER://127.0.0.1:9095');
    expect(setting(props, 'default.replication.factor')).toBe('3');
    expect(setting(props, 'offsets.topic.replication.factor')).toBe('3');
    expect(setting(props, 'transaction.state.log.min.isr')).toBe('2');
    expect(setting(props, 'min.insync.replicas')).toBe('2');
    expect(setting(props, 'unclean.leader.election.enable')).toBe('false');
  });
});
