#!/usr/bin/python3
"""test_mockmongod.py - checks the wire-protocol test server with pymongo.

    /usr/bin/python3 test_mockmongod.py path/to/mockmongod.py

Starts mockmongod on a free port, checks what the mongodb store and its
tests rely on (handshake, CRUD, duplicate keys, compare-and-set updates
from many threads, int64 kept, cursors, indexes, collection options,
transactions refused as a standalone refuses them) and that SIGTERM stops
it cleanly. Exits non-zero on the first failure, with a message.
"""

import signal
import subprocess
import sys
import threading
import time
import unittest

try:
    import pymongo
    import pymongo.errors
    from bson.int64 import Int64
except ImportError as exc:
    sys.exit("test_mockmongod: cannot import %s; install Debian's python3-pymongo and run "
             "this with /usr/bin/python3" % exc.name)

READY = 'mockmongod listening on '
SERVER = {}


def start(path):
    proc = subprocess.Popen([sys.executable, path, '--port', '0'], stdout=subprocess.PIPE,
                            text=True)
    line = proc.stdout.readline()
    if not line.startswith(READY):
        proc.kill()
        sys.exit('test_mockmongod: mockmongod did not start (first line %r, exit %s)'
                 % (line, proc.wait()))
    return proc, line[len(READY):].strip()


class MockMongodTest(unittest.TestCase):
    def setUp(self):
        self.client = pymongo.MongoClient(SERVER['uri'] + '/?serverSelectionTimeoutMS=3000')
        self.client.drop_database('t')
        self.db = self.client.t

    def tearDown(self):
        self.client.close()

    def test_handshake(self):
        info = self.client.admin.command('hello')
        self.assertTrue(info['isWritablePrimary'])
        self.assertEqual(info['maxBsonObjectSize'], 16 * 1024 * 1024)
        self.assertNotIn('setName', info)  # a standalone server
        self.assertIn('mockmongod', self.client.server_info()['version'])
        self.assertEqual(self.client.admin.command('ping')['ok'], 1)

    def test_crud_and_duplicate_key(self):
        docs = self.db.documents
        docs.insert_one({'_id': 'plans/p1', 'version': Int64(1), 'doc': '{}'})
        with self.assertRaises(pymongo.errors.DuplicateKeyError) as ctx:
            docs.insert_one({'_id': 'plans/p1', 'version': Int64(1)})
        self.assertEqual(ctx.exception.code, 11000)
        r = docs.update_one({'_id': 'plans/p1', 'version': Int64(1)},
                            {'$set': {'version': Int64(2), 'doc': '{"a":1}'}})
        self.assertEqual((r.matched_count, r.modified_count), (1, 1))
        r = docs.update_one({'_id': 'plans/p1', 'version': Int64(1)},
                            {'$set': {'version': Int64(2)}})
        self.assertEqual(r.matched_count, 0)
        self.assertEqual(docs.find_one({'_id': 'plans/p1'})['doc'], '{"a":1}')
        self.assertEqual(docs.delete_one({'_id': 'plans/p1', 'version': 1}).deleted_count, 0)
        self.assertEqual(docs.delete_one({'_id': 'plans/p1', 'version': 2}).deleted_count, 1)
        self.assertIsNone(docs.find_one({'_id': 'plans/p1'}))

    def test_int64_kept(self):
        docs = self.db.numbers
        docs.insert_one({'_id': 1, 'v': Int64(5), 'small': 5})
        docs.update_one({'_id': 1}, {'$inc': {'v': 1, 'small': 1}})
        docs.update_one({'_id': 1}, {'$mul': {'v': 2}})
        doc = docs.find_one({'_id': 1})
        self.assertIsInstance(doc['v'], Int64)
        self.assertEqual(doc['v'], 12)
        self.assertNotIsInstance(doc['small'], Int64)
        docs.update_one({'_id': 1}, {'$set': {'big': Int64(5000000000)}})
        self.assertEqual(docs.find_one({'_id': 1})['big'], 5000000000)

    def test_cursor_batches_in_order(self):
        docs = self.db.many
        docs.insert_many([{'_id': 'k%04d' % i, 'coll': 'c', 'id': 'k%04d' % (999 - i)}
                          for i in range(1000)])
        got = [d['id'] for d in docs.find({'coll': 'c'}).sort('id', 1).batch_size(64)]
        self.assertEqual(got, sorted(got))
        self.assertEqual(len(got), 1000)
        self.assertEqual(docs.count_documents({'coll': 'c'}), 1000)

    def test_byte_order_of_ids(self):
        docs = self.db.order
        ids = ['b', 'a', 'B', '\u00e9', '10', '9', 'a\x7f', 'ab', '\U0001f680', '~']
        docs.insert_many([{'_id': i, 'coll': 'c', 'id': i} for i in ids])
        got = [d['id'] for d in docs.find({'coll': 'c'}).sort('id', 1)]
        self.assertEqual(got, sorted(ids, key=lambda s: s.encode('utf-8')))

    def test_find_and_modify(self):
        docs = self.db.fam
        docs.insert_one({'_id': 'x', 'n': 1})
        after = docs.find_one_and_update({'_id': 'x', 'n': 1}, {'$inc': {'n': 1}},
                                         return_document=pymongo.ReturnDocument.AFTER)
        self.assertEqual(after['n'], 2)
        self.assertIsNone(docs.find_one_and_update({'_id': 'x', 'n': 1}, {'$inc': {'n': 1}}))
        new = docs.find_one_and_update({'_id': 'y'}, {'$set': {'n': 7}}, upsert=True,
                                       return_document=pymongo.ReturnDocument.AFTER)
        self.assertEqual(new, {'_id': 'y', 'n': 7})
        self.assertEqual(docs.find_one_and_delete({'_id': 'y'})['n'], 7)

    def test_cas_from_threads(self):
        docs = self.db.cas
        docs.insert_one({'_id': 'c', 'version': Int64(1)})
        wins = []

        def run():
            client = pymongo.MongoClient(SERVER['uri'])
            coll = client.t.cas
            mine = 0
            while mine < 25:
                v = coll.find_one({'_id': 'c'})['version']
                r = coll.update_one({'_id': 'c', 'version': v},
                                    {'$set': {'version': Int64(v + 1)}})
                if r.matched_count == 1:
                    wins.append(v + 1)
                    mine += 1
            client.close()

        threads = [threading.Thread(target=run) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(wins), list(range(2, 152)))

    def test_indexes_and_collections(self):
        docs = self.db.documents
        self.db.command({'createIndexes': 'documents', 'indexes': [
            {'key': {'coll': 1, 'id': 1}, 'name': 'coll_1_id_1'}]})
        self.db.command({'createIndexes': 'documents', 'indexes': [
            {'key': {'coll': 1, 'id': 1}, 'name': 'coll_1_id_1'}]})  # again: no change
        names = [ix['name'] for ix in docs.list_indexes()]
        self.assertEqual(sorted(names), ['_id_', 'coll_1_id_1'])
        with self.assertRaises(pymongo.errors.OperationFailure) as ctx:
            self.db.command({'createIndexes': 'documents', 'indexes': [
                {'key': {'id': 1}, 'name': 'coll_1_id_1'}]})
        self.assertEqual(ctx.exception.code, 86)
        self.db.command({'create': 'folded', 'collation': {'locale': 'en', 'strength': 2}})
        info = list(self.db.list_collections(filter={'name': 'folded'}))
        self.assertEqual(info[0]['options']['collation']['locale'], 'en')
        with self.assertRaises(pymongo.errors.OperationFailure) as ctx:
            self.db.command({'create': 'folded'})
        self.assertEqual(ctx.exception.code, 48)

    def test_transactions_refused(self):
        with self.client.start_session() as session:
            with self.assertRaises(pymongo.errors.OperationFailure) as ctx:
                with session.start_transaction():
                    self.db.tx.insert_one({'_id': 1}, session=session)
        self.assertEqual(ctx.exception.code, 20)
        self.assertIsNone(self.db.tx.find_one({'_id': 1}))

    def test_unknown_command(self):
        with self.assertRaises(pymongo.errors.OperationFailure) as ctx:
            self.db.command('frobnicate')
        self.assertEqual(ctx.exception.code, 59)


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: test_mockmongod.py path/to/mockmongod.py')
    proc, SERVER['uri'] = start(sys.argv[1])
    try:
        result = unittest.main(argv=[sys.argv[0], '-v'], exit=False).result
    finally:
        proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        try:
            code = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            sys.exit('test_mockmongod: mockmongod ignored SIGTERM for 15 s')
    stopped = time.monotonic() - t0
    print('mockmongod stopped on SIGTERM in %.1f s with status %d' % (stopped, code))
    if code != 0:
        sys.exit('test_mockmongod: mockmongod exited with status %d' % code)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == '__main__':
    main()
