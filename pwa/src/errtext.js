// Server refusals in the person's words (issue 15, item 4). The server
// speaks English for logs and API users; the phone shows each error code
// and each field message in Chinese with what to do next, villages by
// name. e2e/errtext.test.mjs reads the server's sources and fails when a
// code or message has no text here.

// CODES: what an error code means and the next step.
export const CODES = {
  invalid: '填写有误，请按提示修改后再保存',
  unauthorized: '登录已过期，请重新登录；未上传的内容会保留',
  forbidden: '您没有这项权限；如需办理请联系镇办',
  not_found: '找不到这条数据，可能已被删除；请刷新后再试',
  conflict: '数据已被别人修改，请查看后选择保留哪个值',
  timeout: '网络太慢，请求没有及时送达；稍后会自动重试',
  too_large: '内容太大，请减少照片或内容后再试',
  rate_limited: '操作太频繁，请稍等一会儿再试',
  busy: '同一个村正有很多人在上传，内容已保留，稍后会自动重发',
  internal: '服务器出错，内容已保留，稍后会自动重试；如一直失败请联系镇办',
};

const V = '(.+?)'; // a value the server put in the message
const num = '([\\d.,]+)';

// MESSAGES: [pattern, Chinese] for every message the server sends, as a
// whole message or a field's. $1… are the values; {village:$n} names a
// village by its code.
const MESSAGES = [
  ['required', '必填'],
  ['other writes to the village came first; send again shortly', '同村的其他上传先到了，稍后会自动重发'],
  ['the server could not save to disk; send again shortly', '服务器没能存盘，内容已保留，稍后会自动重发；如一直失败请联系镇办'],
  [`feature ${V} not stored; send again`, '记录 $1 没有存上，内容已保留，稍后会自动重发'],
  ['empty', '不能为空'],
  ['must not be empty', '不能为空'],
  ['must not be negative', '不能为负数'],
  ['is set by the server', '由服务器填写，不要发送'],
  ['is set by the server; send baseVersion to update', '由服务器填写；修改时请发送所改的版本号'],
  ['closed', '该月考评已结束'],
  ['not one of your villages', '不是您负责的村'],
  [`${V} is not a 12-digit division code`, '$1 不是 12 位行政区划代码'],
  [`${V} is not a kind`, '$1 不是已知的类型'],
  [`${V} is not a photo id`, '$1 不是有效的照片编号'],
  [`${V} is taken`, '$1 已被占用，请换一个'],
  [`1 to ${num} items`, '1 到 $1 项'],
  [`1 to ${num}`, '1 到 $1'],
  ['1–64 letters, digits, \'-\' or \'_\'', '须为 1–64 个字母、数字、“-”或“_”'],
  ['required: 1–64 letters, digits, \'-\' or \'_\'', '必填：1–64 个字母、数字、“-”或“_”'],
  ['2–32 letters, digits, \'_\', \'.\' or \'-\'', '须为 2–32 个字母、数字、“_”“.”或“-”'],
  ['a cleaner needs at least one village', '保洁员至少要负责一个村'],
  ['a cursor from a previous answer, or 0', '应为上次返回的位置，或 0'],
  ['a date YYYY-MM-DD', '请填写日期（年-月-日）'],
  ['a latitude between -90 and 90 is required', '需要 -90 到 90 之间的纬度'],
  ['a longitude between -180 and 180 is required', '需要 -180 到 180 之间的经度'],
  ['a month YYYY-MM', '请填写月份（年-月）'],
  ['a month yet to come cannot be closed', '未到的月份不能结束考评'],
  ['a version number', '应为版本号'],
  ['an admin cannot disable or demote themself', '管理员不能停用自己或降低自己的角色'],
  [`at least ${num} characters`, '至少 $1 个字符'],
  ['at least one photo of the fixed place is required', '请至少拍一张整改后的照片'],
  [`at most ${num} bytes \\(a Chinese character takes 3\\); this one has ${num}`, '最多 $1 字节（一个汉字占 3 字节），现在是 $2'],
  [`at most ${num} characters`, '最多 $1 个字'],
  [`at most ${num} years after from`, '最多比开始晚 $1 年'],
  [`at most ${num}`, '最多 $1'],
  ['busy_timeout\\(10000\\)', '数据库忙，请稍后再试'],
  [`cannot change from ${V}; delete and record anew`, '类型不能从 $1 改；请删除后重新登记'],
  ['cannot change; record a new inspection for the other month', '不能改月份；请为另一个月重新考评'],
  ['cannot change; record a new inspection for the other village', '不能改村；请为另一个村重新考评'],
  ['differs from the path', '与地址中的编号不一致'],
  ['empty; a JSON object is expected', '内容为空'],
  ['empty; send the image bytes', '照片内容为空，请重新拍照'],
  [`every item must be scored; missing: ${V}`, '每一项都要打分；还缺：$1'],
  ['full or thumb', '应为 full 或 thumb'],
  ['lies in no village; name the village to record it outside its boundary', '位置不在任何村内；请选择所属村后再保存'],
  [`lies in village ${V}, not ${V}; delete the feature and record it there`, '位置在{village:$1}，不在{village:$2}；请删除后在该村重新登记'],
  ['metres, more than 0 and at most 1,000,000', '米数，大于 0 且不超过 1,000,000'],
  ['metres, more than 0 and at most 10,000', '米数，大于 0 且不超过 10,000'],
  ['min must not exceed max, within -180..180 and -90..90', '范围有误：最小值不能大于最大值'],
  ['minLon,minLat,maxLon,maxLat as numbers', '范围应为四个数字'],
  ['minLon,minLat,maxLon,maxLat', '范围应为四个数字'],
  ['must be admin, inspector or cleaner', '角色应为管理员、检查员或保洁员'],
  [`must be one of ${V}`, '应为以下之一：$1'],
  ['must be putFeature, addEvent, deleteFeature or putInspection', '操作类型不对'],
  ['must not be after this month', '不能晚于本月'],
  ['must not be before 2000-01-01', '不能早于 2000-01-01'],
  ['must not be before from', '不能早于开始日期'],
  ['must not be before the day of the check', '不能早于检查当天'],
  ['must not be more than 10 minutes in the future; check the phone\'s clock', '时间比现在晚 10 分钟以上；请检查手机时间'],
  [`no village with code ${V}`, '没有代码为 $1 的村'],
  ['not a JPEG, PNG or WebP image', '不是 JPEG、PNG 或 WebP 图片'],
  [`not valid JSON at byte ${num}`, '内容格式有误（第 $1 字节）'],
  ['only a refused rectification gets a new deadline', '只有被退回的整改才能定新期限'],
  ['open, rectified or verified \\(a comma list\\)', '应为 open、rectified 或 verified'],
  [`required for ${V}: say what was corrected and why`, '$1 必填：请写明更正了什么、为什么'],
  [`required for ${V}`, '$1 必填'],
  [`required, at most ${num} characters`, '必填，最多 $1 个字'],
  ['required: the feature whose audit trail to show', '必填：要查看记录的数据'],
  ['required: the id of the checklist template', '必填：考评表'],
  ['required: the version of the template scored with', '必填：考评表的版本'],
  ['required: the version you changed', '必填：所改的版本号'],
  ['required: true to accept the rectification, false to reopen the problem', '必填：通过整改或退回'],
  ['rw', '存储不可写'],
  [`template ${V} has no version ${num}`, '考评表 $1 没有第 $2 版'],
  ['the image data is damaged or uses an unsupported feature', '照片已损坏或格式不支持，请重新拍照'],
  [`the items' maxPoints add up to ${num}; they must add up to ${num}`, '各项满分合计 $1，应为 $2'],
  ['trailing data after the JSON value', '内容格式有误'],
  ['only inspectors and admins may set this', '只有检查员和镇办可以填写'],
  ['only inspectors and admins may set accepted', '只有检查员和镇办可以设为验收'],
  [`the record is settled \\(${V}\\); only inspectors and admins may change this`, '已到“$1”阶段，只有检查员和镇办可以修改'],
  ['a stage moves forward; only inspectors and admins may set it back', '进度只能往前；退回需检查员并说明原因'],
  [`the record is settled; say why ${V} changes`, '记录已定案；请说明为什么修改'],
  ['say why the stage goes back', '请说明进度为什么退回'],
  [`photo ${V} is another person's`, '这张照片是别人的'],
  // Whole messages (Errorf).
  [`${V} not found`, '找不到 $1'],
  [`a photo may be at most ${num} MB; this one is ${num} MB`, '照片最大 $1 MB，这张 $2 MB；请重新拍照'],
  [`at most ${num} ops per batch, got ${num}`, '一次最多上传 $1 条，这次 $2 条'],
  [`feature ${V} is no longer at version ${num}`, '这条数据已被别人修改'],
  [`feature ${V} is at version ${num}, not ${num}`, '这条数据已被别人修改'],
  [`feature ${V} was deleted`, '这条数据已被删除'],
  [`inspection ${V} was changed meanwhile`, '这次考评已被别人修改'],
  [`inspection ${V} exists \\(created by another op\\)`, '这次考评已存在'],
  [`inspection ${V} is at version ${num}, not ${num}`, '这次考评已被别人修改'],
  [`inspectors delete only what they recorded themselves in the last ${num} hours; ask the town office`, '检查员只能删除自己 $1 小时内登记的数据；请联系镇办'],
  ['missing bearer token', '请先登录'],
  [`no village contains ${V},${V}`, '位置不在任何村内'],
  ['not logged in or session expired', '登录已过期，请重新登录'],
  ['only admins, and inspectors within a day of recording, delete features', '只有镇办，或一天内的检查员，可以删除数据'],
  ['only inspectors and admins record inspections', '只有检查员和镇办可以考评'],
  ['only inspectors and admins verify rectifications', '只有检查员和镇办可以验收整改'],
  [`photo ${V} already exists with other content; a new photo needs a new id`, '照片编号已被占用；请重新拍照'],
  [`photo ${V} is another person's; take a photo of your own`, '这张照片是别人的；请自己拍一张'],
  [`photo ${V} is awaited by another person's record; a new photo needs a new id`, '照片编号已被别人的记录占用；请重新拍照'],
  [`problem ${V} exists in another inspection; a new problem needs a new id`, '问题已在另一次考评中；请重新登记'],
  [`problem ${V} is ${V}; only a rectified problem can be verified`, '问题当前为 $2，只有已整改的问题才能验收'],
  [`problem ${V} is ${V}; only an open problem can be rectified`, '问题当前为 $2，只有未整改的问题才能整改'],
  [`problem ${V} is being changed by others; try again`, '问题正被别人修改；请稍后再试'],
  [`request body over ${num} bytes`, '内容超过 $1 字节'],
  [`template ${V} exists`, '考评表 $1 已存在'],
  [`template ${V} is at version ${num}, not ${num}`, '考评表已被别人修改'],
  [`template ${V} was changed meanwhile`, '考评表已被别人修改'],
  [`the assessment of ${V} is closed; its inspections are final`, '$1 的考评已结束，这次考评不能再上传；请先用“导出未上传内容到文件”保存，再联系镇办'],
  [`the inspections of village ${V} in ${V} are being changed by others; try again`, '{village:$1} $2 的考评正被别人修改；请稍后再试'],
  [`the problems of village ${V} are being changed by others; try again`, '{village:$1} 的问题正被别人修改；请稍后再试'],
  [`too many failed logins; try again in ${num} minutes`, '登录失败次数太多；请 $1 分钟后再试'],
  ['wrong username or password', '用户名或密码不对'],
  [`you may not record in village ${V}`, '您不能在{village:$1}登记；请确认位置在您负责的村内'],
  [`your role \\(${V}\\) may not change ${V}`, '您的角色不能修改这些项目'],
  [`your role \\(${V}\\) may not do this`, '您的角色不能做这件事'],
  [`invalid fields: ${V}`, '有几项填写有误'],
  ['is too long', '太长了'],
  [`1–${num} letters, digits, '-' or '_'`, '须为 1–$1 个字母、数字、“-”或“_”'],
  [`at most ${num} printable bytes`, '最多 $1 个可打印字节'],
  [`${num} labels, at most ${num} a page: choose a kind`, '共 $1 张标签，一页最多 $2 张：请先选一种类型'],
  [`at most ${num} characters, got ${num}`, '最多 $1 个字，现在是 $2 个'],
  [`feature ${V} has no label in village ${V}`, '这条数据在{village:$2}还没有编码'],
  [`unknown attribute for ${V}`, '这类记录没有这一项'],
  // Links to a household (一户一档) or an old house.
  [`no record with id ${V}`, '找不到所选的记录，请重新选择'],
  [`is a record of village ${V}, not ${V}`, '所选记录属于{village:$1}，不是{village:$2}；请选择本村的记录'],
  [`must name a ${V} record, not a ${V}`, '所选记录的类型不对，请重新选择'],
  [`feature ${V} is not a household`, '这条记录不是农户，没有一户一档'],
].map(([p, zh]) => [new RegExp(`^${p}$`), zh]);

// messageText is the Chinese for one server message, or '' when there is
// none; villageName(code) names a village.
export function messageText(msg, villageName = (c) => c) {
  const whole = String(msg || '');
  // An Invalid error's message is "field: message".
  for (const s of [whole, whole.replace(/^[\w.]+: /, '')]) {
    for (const [re, zh] of MESSAGES) {
      const m = re.exec(s);
      if (m) return zh.replace(/\{village:\$(\d)\}/g, (_, i) => villageName(m[i])).replace(/\$(\d)/g, (_, i) => m[i]);
    }
  }
  return '';
}

// errorText turns an error the server sent ({code, message, fields}) into
// what the person reads: a line and, per field, the field's label and
// what to change. label(field) names a field ("attrs.household_head" → 户主).
export function errorText(err, { label = (f) => f, villageName } = {}) {
  const e = err || {};
  const line = messageText(e.message, villageName) || CODES[e.code] || CODES.internal;
  const fields = Object.entries(e.fields || {}).map(([k, v]) => `${label(k)}：${messageText(v, villageName) || v}`);
  return { line, next: CODES[e.code] || '', fields };
}
