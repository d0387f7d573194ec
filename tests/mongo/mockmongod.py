#!/usr/bin/python3
"""mockmongod.py - a MongoDB wire-protocol server for valet's tests.

Debian ships no MongoDB server, so the mongodb store's tests run against
this one unless VALET_TEST_MONGODB_URI names a real server. mockupdb reads
and writes the wire messages (OP_MSG, and OP_QUERY for the first
handshake); mongomock keeps the data, in memory. Every command runs under
mockupdb's server lock, from reading the request to sending the reply, so
each command is atomic, as a single-document operation is on a real
server.

    /usr/bin/python3 mockmongod.py [--host ADDR] [--port N] [--verbose]

Prints "mockmongod listening on mongodb://HOST:PORT" once it accepts
connections (--port 0, the default, picks a free port) and stops cleanly
on SIGTERM or SIGINT. Run it with Debian's /usr/bin/python3: the modules
come from python3-mockupdb, python3-mongomock and python3-pymongo.

It answers as a standalone mongod 5.0 would: hello/isMaster, ping,
buildInfo, serverStatus, find/getMore/killCursors, insert/update/delete,
findAndModify, count, distinct, aggregate, createIndexes/listIndexes/
dropIndexes, create/drop/dropDatabase, listCollections/listDatabases and
endSessions. Numbers keep their BSON type: an int64 stays an int64 through
$inc, $mul and $set. It has no transactions (a txnNumber is refused with
code 20, as a standalone mongod refuses it), no auth, no TLS, no change
streams and no arrayFilters; where mongomock differs from MongoDB in a
corner case, mongomock's answer is what a client gets.
"""

import argparse
import datetime
import itertools
import os
import signal
import sys
import threading
import traceback

try:
    import mockupdb
    import mongomock
    import mongomock.collection
    import mongomock.filtering
    import pymongo
    import pymongo.errors
    from bson import SON
    from bson import BSON
    from bson.int64 import Int64
except ImportError as exc:
    sys.stderr.write(
        "mockmongod: cannot import %s (%s); install Debian's python3-mockupdb, "
        "python3-mongomock and python3-pymongo and run this with /usr/bin/python3\n"
        % (exc.name, exc))
    sys.exit(3)

MAX_BSON = 16 * 1024 * 1024
MAX_WIRE_VERSION = 13  # MongoDB 5.0
VERSION = '5.0.0-mockmongod'
FIRST_BATCH = 101  # documents in a find's first batch when the client names none

# Fields any command may carry that this server accepts and ignores.
GENERIC_FIELDS = {
    '$db', 'lsid', '$clusterTime', '$readPreference', 'readConcern', 'writeConcern',
    'apiVersion', 'apiStrict', 'apiDeprecationErrors', 'comment', 'maxTimeMS',
    'bypassDocumentValidation', '$audit', '$client',
}


class CommandError(Exception):
    """A command failure, answered as {ok: 0, code, codeName, errmsg}."""

    def __init__(self, code, name, msg):
        super().__init__(msg)
        self.code = code
        self.name = name


def not_supported(what):
    return CommandError(238, 'NotImplemented', 'mockmongod does not support %s' % what)


# ---- mongomock patches: keep int64 through $inc and $mul, like MongoDB

def _get_field(doc, field):
    if isinstance(doc, dict):
        return doc.get(field)
    if isinstance(doc, list):
        index = int(field)
        return doc[index] if 0 <= index < len(doc) else None
    return None


def _put_field(doc, field, value):
    if isinstance(doc, dict):
        doc[field] = value
    elif isinstance(doc, list):
        doc[int(field)] = value


def _promote(old, operand, result):
    """MongoDB's rule: an integer result is int64 when either input was."""
    if isinstance(result, bool) or not isinstance(result, int) or isinstance(result, Int64):
        return result
    if isinstance(old, Int64) or isinstance(operand, Int64):
        return Int64(result)
    return result


def _keeping_int64(updater):
    def update(doc, field, value):
        old = _get_field(doc, field)
        updater(doc, field, value)
        _put_field(doc, field, _promote(old, value, _get_field(doc, field)))
    return update


def _mul_updater(doc, field, value):
    old = _get_field(doc, field)
    if old is None:
        _put_field(doc, field, _promote(old, value, 0 * value))
        return
    if isinstance(old, bool) or not isinstance(old, (int, float)):
        raise pymongo.errors.WriteError(
            'Cannot apply $mul to a value of non-numeric type', 14)
    _put_field(doc, field, _promote(old, value, old * value))


mongomock.collection._updaters['$inc'] = _keeping_int64(mongomock.collection._updaters['$inc'])
mongomock.collection._updaters['$mul'] = _mul_updater


# ---- the server

def _bson_size(doc):
    return len(BSON.encode(doc))


def _check_collation(spec):
    collation = spec.get('collation') if spec else None
    if collation and collation.get('locale') != 'simple':
        raise not_supported('collations other than {locale: "simple"}')


def _sort_list(sort):
    return list(sort.items()) if sort else None


def _is_operator_update(update):
    return bool(update) and all(key.startswith('$') for key in update)


def _write_error(index, exc):
    code = getattr(exc, 'code', None) or 2
    msg = str(exc)
    if code == 11000 and not msg.startswith('E11000'):
        msg = 'E11000 duplicate key error: ' + msg
    return {'index': index, 'code': code, 'errmsg': msg}


class MockMongod:
    """Commands on a mongomock client; called under mockupdb's server lock."""

    def __init__(self, verbose=False):
        self.data = mongomock.MongoClient()
        self.cursors = {}  # id -> (namespace, documents still to send)
        self.cursor_ids = itertools.count(7001)
        self.connection_ids = itertools.count(1)
        self.options = {}  # (db, collection) -> options given to create
        self.started = datetime.datetime.utcnow()
        self.verbose = verbose
        self.handlers = {
            'hello': self.cmd_hello, 'ismaster': self.cmd_hello,
            'ping': self.cmd_ping, 'buildinfo': self.cmd_build_info,
            'serverstatus': self.cmd_server_status, 'endsessions': self.cmd_ping,
            'find': self.cmd_find, 'getmore': self.cmd_get_more,
            'killcursors': self.cmd_kill_cursors, 'insert': self.cmd_insert,
            'update': self.cmd_update, 'delete': self.cmd_delete,
            'findandmodify': self.cmd_find_and_modify, 'count': self.cmd_count,
            'distinct': self.cmd_distinct, 'aggregate': self.cmd_aggregate,
            'createindexes': self.cmd_create_indexes, 'listindexes': self.cmd_list_indexes,
            'dropindexes': self.cmd_drop_indexes, 'create': self.cmd_create,
            'drop': self.cmd_drop, 'dropdatabase': self.cmd_drop_database,
            'listcollections': self.cmd_list_collections,
            'listdatabases': self.cmd_list_databases,
        }

    # -- the entry point mockupdb calls for every request

    def handle(self, request):
        try:
            reply = self.dispatch(request)
        except CommandError as exc:
            reply = {'ok': 0, 'code': exc.code, 'codeName': exc.name, 'errmsg': str(exc)}
        except Exception as exc:  # a bug here must not take the connection down
            traceback.print_exc()
            reply = {'ok': 0, 'code': 1, 'codeName': 'InternalError',
                     'errmsg': 'mockmongod: %s: %s' % (type(exc).__name__, exc)}
        if self.verbose:
            print('%r -> %r' % (request, reply), flush=True)
        try:
            request.replies(reply)
        except OSError:
            pass  # the client went away, e.g. killed in the middle of a request
        return True

    def dispatch(self, request):
        if not request.is_command:
            raise not_supported('legacy opcode %s' % type(request).__name__)
        cmd = request.doc
        if not cmd:
            raise CommandError(59, 'CommandNotFound', 'empty command')
        name = next(iter(cmd))
        if 'txnNumber' in cmd or cmd.get('startTransaction') or \
                name in ('commitTransaction', 'abortTransaction'):
            raise CommandError(20, 'IllegalOperation',
                               'Transaction numbers are only allowed on a replica set '
                               'member or mongos')
        handler = self.handlers.get(name.lower())
        if handler is None:
            raise CommandError(59, 'CommandNotFound', "no such command: '%s'" % name)
        db = request.namespace.split('.', 1)[0] if request.namespace else 'admin'
        args = SON((k, v) for k, v in cmd.items() if k not in GENERIC_FIELDS)
        return handler(db, args)

    def coll(self, db, name):
        if not isinstance(name, str) or not name:
            raise CommandError(73, 'InvalidNamespace', 'invalid collection name %r' % (name,))
        try:
            return self.data[db][name]
        except mongomock.InvalidName as exc:
            raise CommandError(73, 'InvalidNamespace', str(exc))

    def exists(self, db, name):
        return name in self.data[db].list_collection_names()

    # -- cursors

    def take(self, docs, count):
        """Split docs into a batch (count documents, 0: any, at most 16 MiB) and the rest."""
        size = 0
        batch = []
        for doc in docs:
            if count and len(batch) == count:
                break
            size += _bson_size(doc)
            if batch and size > MAX_BSON:
                break
            batch.append(doc)
        return batch, docs[len(batch):]

    def cursor_reply(self, ns, docs, batch_size, single_batch=False):
        batch, rest = self.take(docs, batch_size if batch_size else FIRST_BATCH)
        cursor_id = 0
        if rest and not single_batch:
            cursor_id = next(self.cursor_ids)
            self.cursors[cursor_id] = (ns, rest)
        return {'cursor': SON([('firstBatch', batch), ('id', Int64(cursor_id)), ('ns', ns)])}

    def cmd_get_more(self, db, cmd):
        cursor_id = int(cmd['getMore'])
        entry = self.cursors.pop(cursor_id, None)
        if entry is None:
            raise CommandError(43, 'CursorNotFound', 'cursor id %d not found' % cursor_id)
        ns, rest = entry
        batch, rest = self.take(rest, int(cmd.get('batchSize') or 0))
        if rest:
            self.cursors[cursor_id] = (ns, rest)
        else:
            cursor_id = 0
        return {'cursor': SON([('nextBatch', batch), ('id', Int64(cursor_id)), ('ns', ns)])}

    def cmd_kill_cursors(self, db, cmd):
        killed, unknown = [], []
        for cursor_id in cmd.get('cursors', []):
            if self.cursors.pop(int(cursor_id), None) is None:
                unknown.append(cursor_id)
            else:
                killed.append(cursor_id)
        return {'cursorsKilled': killed, 'cursorsNotFound': unknown, 'cursorsAlive': [],
                'cursorsUnknown': []}

    # -- server

    def cmd_hello(self, db, cmd):
        return {
            'helloOk': True, 'ismaster': True, 'isWritablePrimary': True,
            'maxBsonObjectSize': MAX_BSON, 'maxMessageSizeBytes': 48000000,
            'maxWriteBatchSize': 100000, 'localTime': datetime.datetime.utcnow(),
            'logicalSessionTimeoutMinutes': 30, 'connectionId': next(self.connection_ids),
            'minWireVersion': 0, 'maxWireVersion': MAX_WIRE_VERSION, 'readOnly': False,
        }

    def cmd_ping(self, db, cmd):
        return {}

    def cmd_build_info(self, db, cmd):
        return {'version': VERSION, 'versionArray': [5, 0, 0, 0], 'gitVersion': 'mockmongod',
                'bits': 64, 'maxBsonObjectSize': MAX_BSON, 'storageEngines': ['mongomock']}

    def cmd_server_status(self, db, cmd):
        uptime = (datetime.datetime.utcnow() - self.started).total_seconds()
        return {'host': 'mockmongod', 'version': VERSION, 'process': 'mockmongod',
                'pid': Int64(os.getpid()), 'uptime': uptime,
                'localTime': datetime.datetime.utcnow()}

    # -- reads

    def cmd_find(self, db, cmd):
        name = cmd['find']
        _check_collation(cmd)
        coll = self.coll(db, name)
        cursor = coll.find(cmd.get('filter') or {}, projection=cmd.get('projection') or None)
        if cmd.get('sort'):
            cursor = cursor.sort(_sort_list(cmd['sort']))
        if cmd.get('skip'):
            cursor = cursor.skip(int(cmd['skip']))
        limit = int(cmd.get('limit') or 0)
        if limit:
            cursor = cursor.limit(abs(limit))
        docs = list(cursor)
        return self.cursor_reply('%s.%s' % (db, name), docs, int(cmd.get('batchSize') or 0),
                                 bool(cmd.get('singleBatch')) or limit < 0)

    def cmd_count(self, db, cmd):
        coll = self.coll(db, cmd['count'])
        kwargs = {}
        if cmd.get('skip'):
            kwargs['skip'] = int(cmd['skip'])
        if cmd.get('limit'):
            kwargs['limit'] = abs(int(cmd['limit']))
        return {'n': coll.count_documents(cmd.get('query') or {}, **kwargs)}

    def cmd_distinct(self, db, cmd):
        coll = self.coll(db, cmd['distinct'])
        return {'values': coll.distinct(cmd['key'], cmd.get('query') or None)}

    def cmd_aggregate(self, db, cmd):
        name = cmd['aggregate']
        if not isinstance(name, str):
            raise not_supported('aggregate on a database')
        if cmd.get('explain'):
            raise not_supported('explain')
        _check_collation(cmd)
        docs = list(self.coll(db, name).aggregate(list(cmd.get('pipeline') or [])))
        cursor = cmd.get('cursor') or {}
        return self.cursor_reply('%s.%s' % (db, name), docs, int(cursor.get('batchSize') or 0))

    # -- writes: each statement's failure goes to writeErrors, as mongod does

    def cmd_insert(self, db, cmd):
        coll = self.coll(db, cmd['insert'])
        ordered = cmd.get('ordered', True)
        n, errors = 0, []
        for index, doc in enumerate(cmd.get('documents') or []):
            try:
                coll.insert_one(doc)
                n += 1
            except (pymongo.errors.OperationFailure, mongomock.OperationFailure) as exc:
                errors.append(_write_error(index, exc))
                if ordered:
                    break
        return self.write_reply({'n': n}, errors)

    def update_one_statement(self, coll, stmt):
        query, update = stmt.get('q') or {}, stmt.get('u')
        multi, upsert = bool(stmt.get('multi')), bool(stmt.get('upsert'))
        if isinstance(update, list):
            raise not_supported('update pipelines')
        if stmt.get('arrayFilters'):
            raise not_supported('arrayFilters')
        _check_collation(stmt)
        if _is_operator_update(update):
            if multi:
                return coll.update_many(query, update, upsert=upsert)
            return coll.update_one(query, update, upsert=upsert)
        if multi:
            raise CommandError(9, 'FailedToParse', 'multi update is not supported for '
                               'replacement-style update')
        return coll.replace_one(query, update or {}, upsert=upsert)

    def cmd_update(self, db, cmd):
        coll = self.coll(db, cmd['update'])
        ordered = cmd.get('ordered', True)
        n = modified = 0
        upserted, errors = [], []
        for index, stmt in enumerate(cmd.get('updates') or []):
            try:
                result = self.update_one_statement(coll, stmt)
            except (pymongo.errors.OperationFailure, mongomock.OperationFailure) as exc:
                errors.append(_write_error(index, exc))
                if ordered:
                    break
                continue
            n += result.matched_count
            modified += result.modified_count
            if result.upserted_id is not None:
                upserted.append({'index': index, '_id': result.upserted_id})
                n += 1
        reply = {'n': n, 'nModified': modified}
        if upserted:
            reply['upserted'] = upserted
        return self.write_reply(reply, errors)

    def cmd_delete(self, db, cmd):
        coll = self.coll(db, cmd['delete'])
        ordered = cmd.get('ordered', True)
        n, errors = 0, []
        for index, stmt in enumerate(cmd.get('deletes') or []):
            try:
                _check_collation(stmt)
                query = stmt.get('q') or {}
                if int(stmt.get('limit', 0)) == 1:
                    n += coll.delete_one(query).deleted_count
                else:
                    n += coll.delete_many(query).deleted_count
            except (pymongo.errors.OperationFailure, mongomock.OperationFailure) as exc:
                errors.append(_write_error(index, exc))
                if ordered:
                    break
        return self.write_reply({'n': n}, errors)

    @staticmethod
    def write_reply(reply, errors):
        if errors:
            reply['writeErrors'] = errors
        return reply

    def cmd_find_and_modify(self, db, cmd):
        coll = self.coll(db, cmd.get('findAndModify') or cmd.get('findandmodify'))
        query, sort = cmd.get('query') or {}, _sort_list(cmd.get('sort'))
        fields, update = cmd.get('fields') or None, cmd.get('update')
        _check_collation(cmd)
        if cmd.get('arrayFilters'):
            raise not_supported('arrayFilters')
        if isinstance(update, list):
            raise not_supported('update pipelines')
        try:
            if cmd.get('remove'):
                value = coll.find_one_and_delete(query, projection=fields, sort=sort)
                return {'lastErrorObject': {'n': 1 if value else 0}, 'value': value}
            if update is None:
                raise CommandError(9, 'FailedToParse', 'Either an update or remove=true must '
                                   'be specified')
            existed = coll.find_one(query, sort=sort) is not None
            upsert = bool(cmd.get('upsert'))
            after = pymongo.ReturnDocument.AFTER
            want = after if cmd.get('new') or (upsert and not existed) else \
                pymongo.ReturnDocument.BEFORE
            modify = coll.find_one_and_update if _is_operator_update(update) else \
                coll.find_one_and_replace
            value = modify(query, update, projection=None, sort=sort, upsert=upsert,
                           return_document=want)
        except (pymongo.errors.OperationFailure, mongomock.OperationFailure) as exc:
            raise CommandError(getattr(exc, 'code', None) or 2, 'WriteError', str(exc))
        status = {'n': 1 if existed or upsert else 0, 'updatedExisting': existed}
        if not existed and upsert and value is not None:
            status['upserted'] = value['_id']
            if not cmd.get('new'):
                value = None
        if value is not None and fields:
            value = coll.find_one({'_id': value['_id']}, projection=fields) \
                if cmd.get('new') else {k: v for k, v in value.items()
                                        if k == '_id' or fields.get(k)}
        return {'lastErrorObject': status, 'value': value}

    # -- collections and indexes

    def cmd_create(self, db, cmd):
        name = cmd['create']
        if self.exists(db, name):
            raise CommandError(48, 'NamespaceExists', 'Collection %s.%s already exists.'
                               % (db, name))
        self.coll(db, name)
        self.data[db].create_collection(name)
        self.options[(db, name)] = SON((k, v) for k, v in cmd.items() if k != 'create')
        return {}

    def cmd_drop(self, db, cmd):
        name = cmd['drop']
        if not self.exists(db, name):
            raise CommandError(26, 'NamespaceNotFound', 'ns not found')
        count = len(self.data[db][name].index_information())
        self.data[db].drop_collection(name)
        self.options.pop((db, name), None)
        self.forget_cursors('%s.%s' % (db, name))
        return {'nIndexesWas': count, 'ns': '%s.%s' % (db, name)}

    def cmd_drop_database(self, db, cmd):
        self.data.drop_database(db)
        for key in [k for k in self.options if k[0] == db]:
            del self.options[key]
        self.forget_cursors(db + '.')
        return {'dropped': db}

    def forget_cursors(self, ns_prefix):
        for cursor_id in [c for c, (ns, _) in self.cursors.items()
                          if ns == ns_prefix or ns.startswith(ns_prefix + '.') or
                          (ns_prefix.endswith('.') and ns.startswith(ns_prefix))]:
            del self.cursors[cursor_id]

    def cmd_list_collections(self, db, cmd):
        docs = []
        for name in sorted(self.data[db].list_collection_names()):
            doc = SON([('name', name), ('type', 'collection'),
                       ('options', self.options.get((db, name), SON())),
                       ('info', {'readOnly': False})])
            if mongomock.filtering.filter_applies(cmd.get('filter') or {}, doc):
                docs.append(SON([('name', name), ('type', 'collection')])
                            if cmd.get('nameOnly') else doc)
        cursor = cmd.get('cursor') or {}
        return self.cursor_reply('%s.$cmd.listCollections' % db, docs,
                                 int(cursor.get('batchSize') or 0))

    def cmd_list_databases(self, db, cmd):
        names = self.data.list_database_names()
        if cmd.get('nameOnly'):
            return {'databases': [{'name': n} for n in names]}
        return {'databases': [{'name': n, 'sizeOnDisk': 0, 'empty': False} for n in names],
                'totalSize': 0}

    def cmd_create_indexes(self, db, cmd):
        name = cmd['createIndexes']
        created = not self.exists(db, name)
        coll = self.coll(db, name)
        before = 1 if created else len(coll.index_information())
        for spec in cmd.get('indexes') or []:
            _check_collation(spec)
            key = list(spec['key'].items())
            index_name = spec.get('name') or '_'.join('%s_%s' % kv for kv in key)
            existing = coll.index_information().get(index_name)
            if existing is not None and [tuple(k) for k in existing['key']] != key:
                raise CommandError(86, 'IndexKeySpecsConflict',
                                   'An existing index has the same name (%s) as the requested '
                                   'index but a different key' % index_name)
            kwargs = {k: spec[k] for k in ('unique', 'sparse', 'expireAfterSeconds',
                                           'partialFilterExpression') if k in spec}
            try:
                coll.create_index(key, name=index_name, **kwargs)
            except (pymongo.errors.OperationFailure, mongomock.OperationFailure) as exc:
                if getattr(exc, 'code', None) == 11000:
                    raise CommandError(11000, 'DuplicateKey', 'E11000 duplicate key error '
                                       'while building index %s' % index_name)
                raise CommandError(85, 'IndexOptionsConflict', str(exc))
        if created and not self.exists(db, name):
            self.data[db].create_collection(name)
        return {'createdCollectionAutomatically': created, 'numIndexesBefore': before,
                'numIndexesAfter': len(coll.index_information())}

    def cmd_list_indexes(self, db, cmd):
        name = cmd['listIndexes']
        if not self.exists(db, name):
            raise CommandError(26, 'NamespaceNotFound', 'ns does not exist: %s.%s' % (db, name))
        docs = []
        for index_name, info in sorted(self.coll(db, name).index_information().items()):
            doc = SON([('v', 2), ('key', SON(info['key'])), ('name', index_name)])
            for option in ('unique', 'sparse', 'expireAfterSeconds',
                           'partialFilterExpression'):
                if option in info:
                    doc[option] = info[option]
            docs.append(doc)
        cursor = cmd.get('cursor') or {}
        return self.cursor_reply('%s.%s' % (db, name), docs, int(cursor.get('batchSize') or 0))

    def cmd_drop_indexes(self, db, cmd):
        name = cmd['dropIndexes']
        if not self.exists(db, name):
            raise CommandError(26, 'NamespaceNotFound', 'ns not found %s.%s' % (db, name))
        coll = self.coll(db, name)
        before = len(coll.index_information())
        index = cmd.get('index')
        if index == '*':
            coll.drop_indexes()
        elif isinstance(index, str):
            if index not in coll.index_information():
                raise CommandError(27, 'IndexNotFound', 'index not found with name [%s]'
                                   % index)
            coll.drop_index(index)
        else:
            raise not_supported('dropIndexes by key pattern')
        return {'nIndexesWas': before}


def main():
    parser = argparse.ArgumentParser(description='A MongoDB wire-protocol test server.')
    parser.add_argument('--host', default='127.0.0.1', help='address to listen on')
    parser.add_argument('--port', type=int, default=0, help='port; 0 picks a free one')
    parser.add_argument('--verbose', action='store_true', help='print every request')
    args = parser.parse_args()

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    mongod = MockMongod(verbose=args.verbose)
    # request_timeout only bounds MockupDB.receives(), which is never called here.
    server = mockupdb.MockupDB(port=args.port or None, request_timeout=int(1e6))
    server._address = (args.host, args.port or 0)
    server.autoresponds(mongod.handle)
    port = server.run()
    print('mockmongod listening on mongodb://%s:%d' % (args.host, port), flush=True)
    while not stop.wait(3600):
        pass
    server.stop()
    print('mockmongod stopped', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
