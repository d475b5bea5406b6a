"""Word lists of the demo world: names, cities, jobs, categories, in Chinese and English.

Every Chinese string here is within GBK, because the CRM export is written in GBK.
"""

from __future__ import annotations

from dataclasses import dataclass

# fmt: off
# (character, pinyin, relative frequency)
SURNAMES: tuple[tuple[str, str, float], ...] = (
    ("王", "wang", 7.1), ("李", "li", 7.0), ("张", "zhang", 6.8), ("刘", "liu", 5.4),
    ("陈", "chen", 4.5), ("杨", "yang", 3.1), ("黄", "huang", 2.2), ("赵", "zhao", 2.1),
    ("吴", "wu", 2.0), ("周", "zhou", 1.9), ("徐", "xu", 1.5), ("孙", "sun", 1.5),
    ("马", "ma", 1.4), ("朱", "zhu", 1.3), ("胡", "hu", 1.2), ("郭", "guo", 1.2),
    ("何", "he", 1.1), ("林", "lin", 1.0), ("罗", "luo", 0.9), ("高", "gao", 0.9),
    ("郑", "zheng", 0.8), ("梁", "liang", 0.8), ("谢", "xie", 0.7), ("宋", "song", 0.7),
    ("唐", "tang", 0.6), ("许", "xu", 0.6), ("韩", "han", 0.6), ("冯", "feng", 0.6),
    ("邓", "deng", 0.6), ("曹", "cao", 0.5), ("彭", "peng", 0.5), ("曾", "zeng", 0.5),
    ("肖", "xiao", 0.5), ("田", "tian", 0.4), ("董", "dong", 0.4), ("潘", "pan", 0.4),
    ("袁", "yuan", 0.4), ("蔡", "cai", 0.4), ("蒋", "jiang", 0.4), ("余", "yu", 0.4),
    ("叶", "ye", 0.4), ("程", "cheng", 0.3), ("魏", "wei", 0.3), ("苏", "su", 0.3),
    ("丁", "ding", 0.3), ("沈", "shen", 0.3), ("任", "ren", 0.3), ("杜", "du", 0.3),
)

# (character, pinyin, look-alike or homophone used for typos)
GIVEN_FEMALE: tuple[tuple[str, str, str], ...] = (
    ("芳", "fang", "方"), ("娜", "na", "那"), ("敏", "min", "民"), ("静", "jing", "婧"),
    ("丽", "li", "莉"), ("艳", "yan", "燕"), ("娟", "juan", "鹃"), ("霞", "xia", "侠"),
    ("婷", "ting", "亭"), ("雪", "xue", "雷"), ("琳", "lin", "林"), ("颖", "ying", "莹"),
    ("洁", "jie", "杰"), ("慧", "hui", "惠"), ("倩", "qian", "茜"), ("悦", "yue", "月"),
    ("欣", "xin", "新"), ("萱", "xuan", "宣"), ("怡", "yi", "仪"), ("佳", "jia", "嘉"),
    ("梦", "meng", "蒙"), ("雨", "yu", "语"), ("晓", "xiao", "小"), ("玲", "ling", "铃"),
    ("璐", "lu", "露"), ("瑶", "yao", "遥"), ("晨", "chen", "辰"), ("思", "si", "斯"),
    ("诗", "shi", "诗"), ("涵", "han", "函"),
)
GIVEN_MALE: tuple[tuple[str, str, str], ...] = (
    ("伟", "wei", "玮"), ("强", "qiang", "墙"), ("磊", "lei", "垒"), ("军", "jun", "君"),
    ("洋", "yang", "阳"), ("勇", "yong", "永"), ("杰", "jie", "洁"), ("涛", "tao", "韬"),
    ("明", "ming", "铭"), ("超", "chao", "朝"), ("刚", "gang", "钢"), ("平", "ping", "萍"),
    ("辉", "hui", "晖"), ("鹏", "peng", "朋"), ("华", "hua", "桦"), ("飞", "fei", "非"),
    ("鑫", "xin", "欣"), ("波", "bo", "博"), ("斌", "bin", "彬"), ("宇", "yu", "雨"),
    ("浩", "hao", "皓"), ("凯", "kai", "恺"), ("健", "jian", "建"), ("俊", "jun", "骏"),
    ("帆", "fan", "凡"), ("博", "bo", "波"), ("文", "wen", "雯"), ("志", "zhi", "智"),
    ("建", "jian", "健"), ("海", "hai", "亥"),
)

# (zh, en, province zh, province en, weight)
CITIES: tuple[tuple[str, str, str, str, float], ...] = (
    ("上海", "Shanghai", "上海", "Shanghai", 12), ("北京", "Beijing", "北京", "Beijing", 11),
    ("广州", "Guangzhou", "广东", "Guangdong", 8), ("深圳", "Shenzhen", "广东", "Guangdong", 8),
    ("杭州", "Hangzhou", "浙江", "Zhejiang", 7), ("成都", "Chengdu", "四川", "Sichuan", 7),
    ("武汉", "Wuhan", "湖北", "Hubei", 6), ("南京", "Nanjing", "江苏", "Jiangsu", 6),
    ("重庆", "Chongqing", "重庆", "Chongqing", 6), ("西安", "Xi'an", "陕西", "Shaanxi", 5),
    ("苏州", "Suzhou", "江苏", "Jiangsu", 5), ("天津", "Tianjin", "天津", "Tianjin", 4),
    ("长沙", "Changsha", "湖南", "Hunan", 4), ("郑州", "Zhengzhou", "河南", "Henan", 4),
    ("青岛", "Qingdao", "山东", "Shandong", 3), ("厦门", "Xiamen", "福建", "Fujian", 3),
)

ROADS: tuple[tuple[str, str], ...] = (
    ("人民路", "Renmin Rd"), ("解放路", "Jiefang Rd"), ("中山路", "Zhongshan Rd"),
    ("建设路", "Jianshe Rd"), ("和平路", "Heping Rd"), ("新华路", "Xinhua Rd"),
    ("文化路", "Wenhua Rd"), ("学院路", "Xueyuan Rd"), ("长江路", "Changjiang Rd"),
    ("滨江大道", "Binjiang Ave"), ("科技园路", "Kejiyuan Rd"), ("幸福路", "Xingfu Rd"),
)

# key, zh, en
OCCUPATIONS: tuple[tuple[str, str, str], ...] = (
    ("manager", "企业管理者", "Manager"), ("owner", "企业主", "Business owner"),
    ("engineer", "程序员", "Software engineer"), ("designer", "设计师", "Designer"),
    ("teacher", "教师", "Teacher"), ("doctor", "医生", "Doctor"), ("sales", "销售", "Sales"),
    ("civil_servant", "公务员", "Civil servant"), ("student", "学生", "Student"),
    ("freelancer", "自由职业", "Freelancer"), ("retired", "退休", "Retired"),
    ("homemaker", "全职父母", "Stay-at-home parent"), ("worker", "工人", "Worker"),
    ("office_worker", "公司职员", "Office worker"),
)
EDUCATIONS: tuple[tuple[str, str, str], ...] = (
    ("high_school", "高中及以下", "High school or below"), ("associate", "大专", "Associate"),
    ("bachelor", "本科", "Bachelor"), ("master", "硕士", "Master"), ("doctorate", "博士", "PhD"),
)

# key, zh, en, item prefix, median unit price (yuan), search keywords zh, en
CATEGORIES: tuple[tuple[str, str, str, str, float, tuple[str, ...], tuple[str, ...]], ...] = (
    ("baby", "母婴", "Baby & maternity", "BB", 159,
     ("奶粉", "纸尿裤", "婴儿推车"), ("infant formula", "diapers", "stroller")),
    ("kids", "童装", "Kids' apparel", "KD", 129,
     ("儿童外套", "童鞋", "连体衣"), ("kids jacket", "kids shoes", "romper")),
    ("beauty", "美妆个护", "Beauty", "BT", 199,
     ("面霜", "口红", "防晒"), ("face cream", "lipstick", "sunscreen")),
    ("electronics", "数码电器", "Electronics", "EL", 1299,
     ("耳机", "手机", "平板"), ("earbuds", "phone", "tablet")),
    ("apparel", "服饰鞋包", "Apparel", "AP", 259,
     ("连衣裙", "运动鞋", "双肩包"), ("dress", "sneakers", "backpack")),
    ("grocery", "食品生鲜", "Grocery", "GR", 59,
     ("牛奶", "水果", "零食"), ("milk", "fruit", "snacks")),
    ("home", "家居日用", "Home", "HM", 99,
     ("收纳盒", "床品", "纸巾"), ("storage box", "bedding", "tissues")),
    ("sports", "运动户外", "Sports & outdoor", "SP", 299,
     ("跑鞋", "瑜伽垫", "帐篷"), ("running shoes", "yoga mat", "tent")),
    ("books", "图书文娱", "Books", "BK", 49,
     ("小说", "绘本", "考试教材"), ("novel", "picture book", "exam prep")),
    ("luxury", "轻奢精品", "Luxury", "LX", 2599,
     ("手表", "香水", "皮具"), ("watch", "perfume", "leather bag")),
)
CATEGORY_KEYS: tuple[str, ...] = tuple(c[0] for c in CATEGORIES)

CHANNELS: tuple[str, ...] = ("app", "web", "miniprogram", "store")
PAYMENT_METHODS: dict[str, tuple[str, ...]] = {
    "zh": ("微信支付", "支付宝", "银联卡", "花呗", "现金"),
    "en": ("WeChat Pay", "Alipay", "UnionPay card", "Huabei", "Cash"),
}
EMAIL_DOMAINS: tuple[str, ...] = (
    "qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "gmail.com", "outlook.com",
)
PHONE_PREFIXES: tuple[int, ...] = (
    134, 135, 136, 137, 138, 139, 150, 151, 152, 158, 159, 182, 186, 187, 188, 177, 199,
)
TIERS: dict[str, tuple[str, ...]] = {
    "zh": ("普通", "银卡", "金卡", "钻石"),
    "en": ("Basic", "Silver", "Gold", "Diamond"),
}
CRM_NOTES: dict[str, tuple[str, ...]] = {
    "zh": ("VIP客户", "曾投诉物流", "偏好电话联系", "请勿来电", "老客户,已回访"),
    "en": ("VIP", "complained about delivery", "prefers phone", "do not call", "loyal, called"),
}
NICKNAMES: dict[str, tuple[str, ...]] = {
    "zh": ("快乐小鱼", "追风少年", "momo", "小太阳", "甜甜圈", "夜猫子", "奶爸", "花花"),
    "en": ("sunny", "tiger", "momo", "nightowl", "daisy", "jojo", "rocket", "bean"),
}
UNKNOWN_DATE: dict[str, tuple[str, ...]] = {
    "zh": ("不详", "1990-13-45"),
    "en": ("unknown", "1990-13-45"),
}
BAD_TIMESTAMP: dict[str, str] = {"zh": "昨天", "en": "yesterday"}
BAD_AMOUNTS: tuple[str, ...] = ("12,5O", "99.9O", "1,2OO")

# fmt: on


@dataclass(frozen=True)
class Question:
    """One survey question of the question bank."""

    question_id: str
    type: str
    dimension: str
    text_zh: str
    text_en: str
    options_zh: tuple[str, ...] = ()
    options_en: tuple[str, ...] = ()


DIMENSIONS: tuple[str, ...] = (
    "price_consciousness",
    "quality_orientation",
    "innovation",
    "social_influence",
    "convenience",
    "brand_loyalty",
)

# fmt: off
QUESTIONS: tuple[Question, ...] = (
    Question("Q01", "likert", "price_consciousness", "买东西前我会反复比价",
             "I compare prices carefully before I buy"),
    Question("Q02", "likert", "price_consciousness", "有优惠券或折扣时我才会下单",
             "I mostly buy when there is a coupon or a discount"),
    Question("Q03", "likert", "quality_orientation", "我愿意为更好的品质多花钱",
             "I am willing to pay more for better quality"),
    Question("Q04", "likert", "quality_orientation", "我很在意商品的材质和做工",
             "Materials and workmanship matter a lot to me"),
    Question("Q05", "likert", "innovation", "我喜欢第一时间尝试新品",
             "I like to be the first to try new products"),
    Question("Q06", "likert", "innovation", "我经常关注新科技和新潮流",
             "I follow new technology and trends"),
    Question("Q07", "likert", "social_influence", "朋友的推荐会影响我的购买决定",
             "Recommendations from friends influence what I buy"),
    Question("Q08", "likert", "social_influence", "我经常在社交平台分享购物心得",
             "I often share my purchases on social media"),
    Question("Q09", "likert", "convenience", "送货快、省时间对我最重要",
             "Fast delivery and saving time matter most to me"),
    Question("Q10", "likert", "convenience", "我喜欢随时随地用手机下单",
             "I like ordering on my phone anytime, anywhere"),
    Question("Q11", "likert", "brand_loyalty", "我会一直在熟悉的品牌和店铺购买",
             "I keep buying from brands and shops I know"),
    Question("Q12", "likert", "brand_loyalty", "我愿意向亲友推荐本平台",
             "I would recommend this platform to friends and family"),
    Question("Q13", "choice", "channel_preference", "您最常用的购物渠道是?",
             "Which channel do you shop on most?",
             ("App", "网站", "小程序", "门店"), ("App", "Website", "Mini program", "Store")),
    Question("Q14", "choice", "life_stage", "您的家庭状况是?", "What is your household?",
             ("单身", "已婚无孩", "有0-6岁孩子", "有6岁以上孩子"),
             ("Single", "Married, no children", "Children aged 0-6", "Children over 6")),
    Question("Q15", "multi", "category_interest", "您关注哪些品类?(可多选)",
             "Which categories interest you? (several allowed)",
             tuple(c[1] for c in CATEGORIES), tuple(c[2] for c in CATEGORIES)),
    Question("Q16", "text", "needs", "您最希望我们提供什么?",
             "What would you most like us to offer?"),
    Question("Q17", "text", "pain_points", "购物时让您最头疼的是什么?",
             "What annoys you most when shopping?"),
)
# fmt: on


def category_names(lang: str) -> list[str]:
    """Return the category names in a language, in `CATEGORIES` order."""
    return [c[1] if lang == "zh" else c[2] for c in CATEGORIES]


def search_keywords(lang: str) -> list[str]:
    """Return three search keywords per category, in `CATEGORIES` order."""
    return [k for c in CATEGORIES for k in (c[5] if lang == "zh" else c[6])]


def city_names(lang: str) -> list[str]:
    """Return the city names in a language, in `CITIES` order."""
    return [c[0] if lang == "zh" else c[1] for c in CITIES]


def province_names(lang: str) -> list[str]:
    """Return each city's province in a language, in `CITIES` order."""
    return [c[2] if lang == "zh" else c[3] for c in CITIES]
