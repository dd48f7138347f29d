// DynamoDB's wording in one place: ValidationException messages for expressions and values, and the reserved words.
import { AwsError } from '../../../lib/errors.js';

/** Which request member an expression came from: the prefix of DynamoDB's "Invalid <kind>: …" messages. */
export type ExprKind = 'ConditionExpression' | 'FilterExpression' | 'KeyConditionExpression' | 'UpdateExpression' | 'ProjectionExpression';

export function validation(message: string): AwsError {
  return new AwsError('ValidationException', message, { status: 400 });
}

/** "Invalid UpdateExpression: <detail>". */
export function invalid(kind: ExprKind, detail: string): AwsError {
  return validation(`Invalid ${kind}: ${detail}`);
}

/** A document path as DynamoDB prints it in overlap messages: [a, b, [2], c]. */
export function pathText(path: readonly (string | number)[]): string {
  return `[${path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join(', ')}]`;
}

export const M = {
  empty: 'The expression can not be empty;',
  syntax: (token: string, near: string) => `Syntax error; token: "${token}", near: "${near}"`,
  reserved: (word: string) => `Attribute name is a reserved keyword; reserved keyword: ${word}`,
  nameUndefined: (name: string) => `An expression attribute name used in the document path is not defined; attribute name: ${name}`,
  valueUndefined: (name: string) => `An expression attribute value used in expression is not defined; attribute value: ${name}`,
  unknownFunction: (name: string) => `Invalid function name; function: ${name}`,
  operandCount: (name: string, n: number) => `Incorrect number of operands for operator or function; operator or function: ${name}, number of operands: ${n}`,
  needsPath: (name: string) => `Operator or function requires a document path; operator or function: ${name}`,
  operandType: (name: string, type: string) => `Incorrect operand type for operator or function; operator or function: ${name}, operand type: ${type}`,
  clauseOperandType: (op: string, type: string) => `Incorrect operand type for operator or function; operator: ${op}, operand type: ${type}`,
  badTypeName: (t: string) => `Invalid attribute type name found; type: ${t}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`,
  redundantParens: 'The expression has redundant parentheses;',
  misused: (name: string) => `The function is not allowed to be used this way in an expression; function: ${name}`,
  distinct: (op: string, path: string) =>
    `The first operand must be distinct from the remaining operands for this operator or function; operator: ${op}, first operand: ${path}`,
  betweenTypes: (lo: string, hi: string) =>
    `The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: ${lo}, upper bound operand: AttributeValue: ${hi}`,
  betweenOrder: (lo: string, hi: string) =>
    `The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: ${lo}, upper bound operand: AttributeValue: ${hi}`,
  inTooMany: (n: number) => `The IN operator is provided with too many operands; number of operands: ${n}`,
  tooManyOperators: (n: number) => `The expression contains too many operators; operator count: ${n}`,
  tooLong: 'Expression size has exceeded the maximum allowed size',
  section: (s: string) => `The "${s}" section can only be used once in an update expression;`,
  overlap: (a: string, b: string) => `Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${a}, path two: ${b}`,
  conflict: (a: string, b: string) => `Two document paths conflict with each other; must remove or rewrite one of these paths; path one: ${a}, path two: ${b}`,
  // Raised while applying an update to an item (no "Invalid UpdateExpression:" prefix).
  invalidForUpdate: 'The document path provided in the update expression is invalid for update',
  wrongOperandType: 'An operand in the update expression has an incorrect data type',
  missingAttribute: 'The provided expression refers to an attribute that does not exist in the item',
  // Key conditions.
  keyOperator: (op: string) => `Invalid operator used in KeyConditionExpression: ${op}`,
  keyNested: 'KeyConditionExpressions cannot contain nested operations',
  keyFirstOperand: (op: string) => `Invalid condition in KeyConditionExpression: ${op} operator must have the key attribute as its first operand`,
  keyMultipleNames: 'Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition',
  keyNestedAttr: 'KeyConditionExpressions cannot have conditions on nested attributes',
  keyNoAttr: 'Invalid condition in KeyConditionExpression: No key attribute specified',
  keyOnePerKey: 'KeyConditionExpressions must only contain one condition per key',
  keyMissed: (name: string) => `Query condition missed key schema element: ${name}`,
  keyNotSupported: 'Query key condition not supported',
  unusedValues: (keys: readonly string[]) => `Value provided in ExpressionAttributeValues unused in expressions: keys: {${keys.join(', ')}}`,
  unusedNames: (keys: readonly string[]) => `Value provided in ExpressionAttributeNames unused in expressions: keys: {${keys.join(', ')}}`,
} as const;

// DynamoDB's reserved words (the developer guide's list): refused as bare attribute names in expressions.
const WORDS = new Set(
  [
    'ABORT ABSOLUTE ACTION ADD AFTER AGENT AGGREGATE ALL ALLOCATE ALTER ANALYZE AND ANY ARCHIVE ARE ARRAY AS ASC',
    'ASCII ASENSITIVE ASSERTION ASYMMETRIC AT ATOMIC ATTACH ATTRIBUTE AUTH AUTHORIZATION AUTHORIZE AUTO AVG BACK',
    'BACKUP BASE BATCH BEFORE BEGIN BETWEEN BIGINT BINARY BIT BLOB BLOCK BOOLEAN BOTH BREADTH BUCKET BULK BY BYTE',
    'CALL CALLED CALLING CAPACITY CASCADE CASCADED CASE CAST CATALOG CHAR CHARACTER CHECK CLASS CLOB CLOSE CLUSTER',
    'CLUSTERED CLUSTERING CLUSTERS COALESCE COLLATE COLLATION COLLECTION COLUMN COLUMNS COMBINE COMMENT COMMIT',
    'COMPACT COMPILE COMPRESS CONDITION CONFLICT CONNECT CONNECTION CONSISTENCY CONSISTENT CONSTRAINT CONSTRAINTS',
    'CONSTRUCTOR CONSUMED CONTINUE CONVERT COPY CORRESPONDING COUNT COUNTER CREATE CROSS CUBE CURRENT CURSOR CYCLE',
    'DATA DATABASE DATE DATETIME DAY DEALLOCATE DEC DECIMAL DECLARE DEFAULT DEFERRABLE DEFERRED DEFINE DEFINED',
    'DEFINITION DELETE DELIMITED DEPTH DEREF DESC DESCRIBE DESCRIPTOR DETACH DETERMINISTIC DIAGNOSTICS DIRECTORIES',
    'DISABLE DISCONNECT DISTINCT DISTRIBUTE DO DOMAIN DOUBLE DROP DUMP DURATION DYNAMIC EACH ELEMENT ELSE ELSEIF',
    'EMPTY ENABLE END EQUAL EQUALS ERROR ESCAPE ESCAPED EVAL EVALUATE EXCEEDED EXCEPT EXCEPTION EXCEPTIONS',
    'EXCLUSIVE EXEC EXECUTE EXISTS EXIT EXPLAIN EXPLODE EXPORT EXPRESSION EXTENDED EXTERNAL EXTRACT FAIL FALSE',
    'FAMILY FETCH FIELDS FILE FILTER FILTERING FINAL FINISH FIRST FIXED FLATTERN FLOAT FOR FORCE FOREIGN FORMAT',
    'FORWARD FOUND FREE FROM FULL FUNCTION FUNCTIONS GENERAL GENERATE GET GLOB GLOBAL GO GOTO GRANT GREATER GROUP',
    'GROUPING HANDLER HASH HAVE HAVING HEAP HIDDEN HOLD HOUR IDENTIFIED IDENTITY IF IGNORE IMMEDIATE IMPORT IN',
    'INCLUDING INCLUSIVE INCREMENT INCREMENTAL INDEX INDEXED INDEXES INDICATOR INFINITE INITIALLY INLINE INNER',
    'INNTER INOUT INPUT INSENSITIVE INSERT INSTEAD INT INTEGER INTERSECT INTERVAL INTO INVALIDATE IS ISOLATION ITEM',
    'ITEMS ITERATE JOIN KEY KEYS LAG LANGUAGE LARGE LAST LATERAL LEAD LEADING LEAVE LEFT LENGTH LESS LEVEL LIKE',
    'LIMIT LIMITED LINES LIST LOAD LOCAL LOCALTIME LOCALTIMESTAMP LOCATION LOCATOR LOCK LOCKS LOG LOGED LONG LOOP',
    'LOWER MAP MATCH MATERIALIZED MAX MAXLEN MEMBER MERGE METHOD METRICS MIN MINUS MINUTE MISSING MOD MODE MODIFIES',
    'MODIFY MODULE MONTH MULTI MULTISET NAME NAMES NATIONAL NATURAL NCHAR NCLOB NEW NEXT NO NONE NOT NULL NULLIF',
    'NUMBER NUMERIC OBJECT OF OFFLINE OFFSET OLD ON ONLINE ONLY OPAQUE OPEN OPERATOR OPTION OR ORDER ORDINALITY',
    'OTHER OTHERS OUT OUTER OUTPUT OVER OVERLAPS OVERRIDE OWNER PAD PARALLEL PARAMETER PARAMETERS PARTIAL PARTITION',
    'PARTITIONED PARTITIONS PATH PERCENT PERCENTILE PERMISSION PERMISSIONS PIPE PIPELINED PLAN POOL POSITION',
    'PRECISION PREPARE PRESERVE PRIMARY PRIOR PRIVATE PRIVILEGES PROCEDURE PROCESSED PROJECT PROJECTION PROPERTY',
    'PROVISIONING PUBLIC PUT QUERY QUIT QUORUM RAISE RANDOM RANGE RANK RAW READ READS REAL REBUILD RECORD RECURSIVE',
    'REDUCE REF REFERENCE REFERENCES REFERENCING REGEXP REGION REINDEX RELATIVE RELEASE REMAINDER RENAME REPEAT',
    'REPLACE REQUEST RESET RESIGNAL RESOURCE RESPONSE RESTORE RESTRICT RESULT RETURN RETURNING RETURNS REVERSE',
    'REVOKE RIGHT ROLE ROLES ROLLBACK ROLLUP ROUTINE ROW ROWS RULE RULES SAMPLE SATISFIES SAVE SAVEPOINT SCAN',
    'SCHEMA SCOPE SCROLL SEARCH SECOND SECTION SEGMENT SEGMENTS SELECT SELF SEMI SENSITIVE SEPARATE SEQUENCE',
    'SERIALIZABLE SESSION SET SETS SHARD SHARE SHARED SHORT SHOW SIGNAL SIMILAR SIZE SKEWED SMALLINT SNAPSHOT SOME',
    'SOURCE SPACE SPACES SPARSE SPECIFIC SPECIFICTYPE SPLIT SQL SQLCODE SQLERROR SQLEXCEPTION SQLSTATE SQLWARNING',
    'START STATE STATIC STATUS STORAGE STORE STORED STREAM STRING STRUCT STYLE SUB SUBMULTISET SUBPARTITION',
    'SUBSTRING SUBTYPE SUM SUPER SYMMETRIC SYNONYM SYSTEM TABLE TABLESAMPLE TEMP TEMPORARY TERMINATED TEXT THAN',
    'THEN THROUGHPUT TIME TIMESTAMP TIMEZONE TINYINT TO TOKEN TOTAL TOUCH TRAILING TRANSACTION TRANSFORM TRANSLATE',
    'TRANSLATION TREAT TRIGGER TRIM TRUE TRUNCATE TTL TUPLE TYPE UNDER UNDO UNION UNIQUE UNIT UNKNOWN UNLOGGED',
    'UNNEST UNPROCESSED UNSIGNED UNTIL UPDATE UPPER URL USAGE USE USER USERS USING UUID VACUUM VALUE VALUED VALUES',
    'VARCHAR VARIABLE VARIANCE VARINT VARYING VIEW VIEWS VIRTUAL VOID WAIT WHEN WHENEVER WHERE WHILE WINDOW WITH',
    'WITHIN WITHOUT WORK WRAPPED WRITE YEAR ZONE',
  ].join(' ').split(' '),
);

/** True when name (case-insensitive) is one of DynamoDB's reserved words. */
export function isReserved(name: string): boolean {
  return WORDS.has(name.toUpperCase());
}

export const RESERVED_WORD_COUNT = WORDS.size;
