import { MongoClient } from 'mongodb';
import { mongoClientOptions } from '../../src/config/mongo-options';
import { MongoConnection } from '../../src/workers/mongo-connection';

describe('MongoDB URIs reach the driver unchanged', () => {
  const atlas =
    'mongodb+srv://agent:p%40ss@cluster0.example.net/?retryWrites=true&w=majority&authSource=admin&appName=chassis&serverSelectionTimeoutMS=20000';

  test('a URI option wins over our default of the same name; other defaults stay', () => {
    expect(mongoClientOptions(atlas, { serverSelectionTimeoutMS: 3_000 })).toEqual({});
    expect(mongoClientOptions('mongodb://db:27017/?tls=true', { serverSelectionTimeoutMS: 3_000 })).toEqual({
      serverSelectionTimeoutMS: 3_000,
    });
    expect(mongoClientOptions('mongodb://db:27017/', { serverSelectionTimeoutMS: 3_000 })).toEqual({
      serverSelectionTimeoutMS: 3_000,
    });
  });

  test("the worker's client parses mongodb+srv and TLS options as the driver does (no connection made)", async () => {
    const connection = new MongoConnection({ uri: atlas, database: 'chassis' });
    try {
      const options = connection.client.options;
      expect(options.srvHost).toBe('cluster0.example.net');
      // mongodb+srv turns TLS on by default.
      expect(options.tls).toBe(true);
      expect(options.retryWrites).toBe(true);
      expect(options.writeConcern?.w).toBe('majority');
      expect(options.credentials?.username).toBe('agent');
      expect(options.credentials?.password).toBe('p@ss');
      expect(options.credentials?.source).toBe('admin');
      expect(options.appName).toBe('chassis');
      expect(options.serverSelectionTimeoutMS).toBe(20_000);
    } finally {
      await connection.close();
    }
  });

  test('tls, tlsCAFile and tlsCertificateKeyFile in a mongodb:// URI pass through', async () => {
    const uri =
      'mongodb://db1.internal:27017,db2.internal:27017/?replicaSet=rs0&tls=true&tlsCAFile=%2Fetc%2Fssl%2Fca.pem&tlsCertificateKeyFile=%2Fetc%2Fssl%2Fclient.pem&tlsAllowInvalidHostnames=false';
    const connection = new MongoConnection({ uri, database: 'chassis' });
    try {
      const options = connection.client.options;
      expect(options.tls).toBe(true);
      expect(options.tlsCAFile).toBe('/etc/ssl/ca.pem');
      expect(options.tlsCertificateKeyFile).toBe('/etc/ssl/client.pem');
      expect(options.replicaSet).toBe('rs0');
      expect(options.hosts.map(String)).toEqual(['db1.internal:27017', 'db2.internal:27017']);
      // Our short default applies because the URI does not set its own.
      expect(options.serverSelectionTimeoutMS).toBe(3_000);
    } finally {
      await connection.close();
    }
  });

  test('a plain client sees the same options as ours for the same URI', () => {
    const plain = new MongoClient(atlas);
    expect(plain.options.srvHost).toBe('cluster0.example.net');
    expect(plain.options.serverSelectionTimeoutMS).toBe(20_000);
  });
});
