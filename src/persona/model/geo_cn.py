"""Chinese provinces and cities with their aliases, for standardising place names in customer data.

Pure data and a few pure functions; imports nothing else of the project. Every lookup key goes
through `normalise_key`, both when the alias tables are built and when a caller looks a name up:

    >>> city_aliases()[normalise_key("Xi'an")]
    ('西安', '陕西')
    >>> province_aliases()[normalise_key("内蒙古自治区")]
    '内蒙古'

`CITIES` holds every prefecture-level division of mainland China (293 prefecture-level cities,
30 autonomous prefectures, 7 prefectures and 3 leagues, as of 2023), the four municipalities
(which are also provinces), Hong Kong, Macau and Taipei. A city's tier follows the 2023
"城市商业魅力排行榜" (1 一线, 2 新一线, 3 二线, 4 三线, 5 四线, 6 五线); the ranking covers the
337 mainland cities, so Hong Kong, Macau and Taipei have no tier. Tiers 1-3 are the published
lists; tiers 4-6 come from a secondary copy of the list whose tier sizes match the published
ones (70, 90, 128), so a few cities there may be one tier off.

A toneless pinyin shared by two cities (苏州 and 宿州 are both "Suzhou") is an alias of the
better-known city only, named in `PREFERRED_FOR_PINYIN`; the other city is still found by its
Chinese name. One-character province abbreviations (粤, 川, 宁 ...) are province aliases only,
never city aliases, because several of them also abbreviate a city (宁 is also 南京).
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import NamedTuple, TypeVar

_T = TypeVar("_T")


class Province(NamedTuple):
    """A provincial-level division: province, autonomous region, municipality or SAR."""

    name: str  # short display name: 广东, 内蒙古, 香港
    full_name: str  # official name: 广东省, 内蒙古自治区, 香港特别行政区
    english: str  # spellings separated by "/", the first one for display
    abbreviations: str  # one-character abbreviations, each character one alias: 川蜀
    other_names: str = ""  # further Chinese names separated by "/": 内蒙, 臺灣

    @property
    def spellings(self) -> tuple[str, ...]:
        """The English and pinyin spellings, display spelling first."""
        return tuple(self.english.split("/"))


class City(NamedTuple):
    """A prefecture-level city or division, a municipality, Hong Kong, Macau or Taipei."""

    name: str  # display name without 市: 苏州, 哈尔滨, 延边
    province: str  # the province's short name
    english: str  # spellings separated by "/", the first one for display: Harbin/Haerbin
    tier: int | None  # 1 一线 ... 6 五线; None outside the mainland ranking
    full_name: str = ""  # official name when it is not name + 市: 延边朝鲜族自治州
    other_names: str = ""  # further Chinese names separated by "/": 襄樊 for 襄阳

    @property
    def official_name(self) -> str:
        """The official name: 苏州市, 延边朝鲜族自治州, 兴安盟."""
        return self.full_name or f"{self.name}市"

    @property
    def spellings(self) -> tuple[str, ...]:
        """The English and pinyin spellings, display spelling first."""
        return tuple(self.english.split("/"))


# fmt: off
PROVINCES: tuple[Province, ...] = (
    Province("北京", "北京市", "Beijing/Peking", "京"),
    Province("天津", "天津市", "Tianjin/Tientsin", "津"),
    Province("河北", "河北省", "Hebei", "冀"),
    Province("山西", "山西省", "Shanxi", "晋"),
    Province("内蒙古", "内蒙古自治区", "Inner Mongolia/Nei Mongol/Neimenggu", "蒙", "内蒙"),
    Province("辽宁", "辽宁省", "Liaoning", "辽"),
    Province("吉林", "吉林省", "Jilin", "吉"),
    Province("黑龙江", "黑龙江省", "Heilongjiang", "黑"),
    Province("上海", "上海市", "Shanghai", "沪"),
    Province("江苏", "江苏省", "Jiangsu", "苏"),
    Province("浙江", "浙江省", "Zhejiang", "浙"),
    Province("安徽", "安徽省", "Anhui", "皖"),
    Province("福建", "福建省", "Fujian", "闽"),
    Province("江西", "江西省", "Jiangxi", "赣"),
    Province("山东", "山东省", "Shandong", "鲁"),
    Province("河南", "河南省", "Henan", "豫"),
    Province("湖北", "湖北省", "Hubei", "鄂"),
    Province("湖南", "湖南省", "Hunan", "湘"),
    Province("广东", "广东省", "Guangdong", "粤"),
    Province("广西", "广西壮族自治区", "Guangxi/Guangxi Zhuang", "桂", "广西壮族"),
    Province("海南", "海南省", "Hainan", "琼"),
    Province("重庆", "重庆市", "Chongqing/Chungking", "渝"),
    Province("四川", "四川省", "Sichuan/Szechuan/Szechwan", "川蜀"),
    Province("贵州", "贵州省", "Guizhou", "黔贵"),
    Province("云南", "云南省", "Yunnan", "云滇"),
    Province("西藏", "西藏自治区", "Tibet/Xizang", "藏"),
    Province("陕西", "陕西省", "Shaanxi", "陕秦"),
    Province("甘肃", "甘肃省", "Gansu", "甘陇"),
    Province("青海", "青海省", "Qinghai", "青"),
    Province("宁夏", "宁夏回族自治区", "Ningxia/Ningxia Hui", "宁", "宁夏回族"),
    Province("新疆", "新疆维吾尔自治区", "Xinjiang/Xinjiang Uyghur", "新", "新疆维吾尔"),
    Province("台湾", "台湾省", "Taiwan", "台", "台灣/臺灣/台灣省/臺灣省"),
    Province("香港", "香港特别行政区", "Hong Kong/Xianggang", "港", "香港特別行政區"),
    Province("澳门", "澳门特别行政区", "Macau/Macao/Aomen", "澳", "澳門/澳門特別行政區"),
)

CITIES: tuple[City, ...] = (
    # 北京
    City("北京", "北京", "Beijing/Peking", 1, "北京市"),
    # 天津
    City("天津", "天津", "Tianjin/Tientsin", 2, "天津市"),
    # 河北
    City("石家庄", "河北", "Shijiazhuang", 3),
    City("唐山", "河北", "Tangshan", 4),
    City("秦皇岛", "河北", "Qinhuangdao", 4),
    City("邯郸", "河北", "Handan", 4),
    City("邢台", "河北", "Xingtai", 5),
    City("保定", "河北", "Baoding", 3),
    City("张家口", "河北", "Zhangjiakou", 5),
    City("承德", "河北", "Chengde", 5),
    City("沧州", "河北", "Cangzhou", 4),
    City("廊坊", "河北", "Langfang", 4),
    City("衡水", "河北", "Hengshui", 6),
    # 山西
    City("太原", "山西", "Taiyuan", 3),
    City("大同", "山西", "Datong", 5),
    City("阳泉", "山西", "Yangquan", 6),
    City("长治", "山西", "Changzhi", 6),
    City("晋城", "山西", "Jincheng", 6),
    City("朔州", "山西", "Shuozhou", 6),
    City("晋中", "山西", "Jinzhong", 5),
    City("运城", "山西", "Yuncheng", 5),
    City("忻州", "山西", "Xinzhou", 6),
    City("临汾", "山西", "Linfen", 5),
    City("吕梁", "山西", "Lvliang/Lüliang/Lyuliang", 6),
    # 内蒙古
    City("呼和浩特", "内蒙古", "Hohhot/Huhehaote", 4),
    City("包头", "内蒙古", "Baotou", 4),
    City("乌海", "内蒙古", "Wuhai", 6),
    City("赤峰", "内蒙古", "Chifeng", 5),
    City("通辽", "内蒙古", "Tongliao", 6),
    City("鄂尔多斯", "内蒙古", "Ordos/Eerduosi", 5),
    City("呼伦贝尔", "内蒙古", "Hulunbuir/Hulunbeier", 6),
    City("巴彦淖尔", "内蒙古", "Bayannur/Bayannaoer", 6),
    City("乌兰察布", "内蒙古", "Ulanqab/Wulanchabu", 6),
    City("兴安", "内蒙古", "Hinggan/Xing'an", 6, "兴安盟"),
    City("锡林郭勒", "内蒙古", "Xilingol/Xilinguole", 6, "锡林郭勒盟"),
    City("阿拉善", "内蒙古", "Alxa/Alashan", 6, "阿拉善盟"),
    # 辽宁
    City("沈阳", "辽宁", "Shenyang", 3),
    City("大连", "辽宁", "Dalian", 3),
    City("鞍山", "辽宁", "Anshan", 4),
    City("抚顺", "辽宁", "Fushun", 6),
    City("本溪", "辽宁", "Benxi", 6),
    City("丹东", "辽宁", "Dandong", 5),
    City("锦州", "辽宁", "Jinzhou", 5),
    City("营口", "辽宁", "Yingkou", 5),
    City("阜新", "辽宁", "Fuxin", 6),
    City("辽阳", "辽宁", "Liaoyang", 6),
    City("盘锦", "辽宁", "Panjin", 5),
    City("铁岭", "辽宁", "Tieling", 6),
    City("朝阳", "辽宁", "Chaoyang", 6),
    City("葫芦岛", "辽宁", "Huludao", 6),
    # 吉林
    City("长春", "吉林", "Changchun", 3),
    City("吉林", "吉林", "Jilin", 4),
    City("四平", "吉林", "Siping", 6),
    City("辽源", "吉林", "Liaoyuan", 6),
    City("通化", "吉林", "Tonghua", 6),
    City("白山", "吉林", "Baishan", 6),
    City("松原", "吉林", "Songyuan", 6),
    City("白城", "吉林", "Baicheng", 6),
    City("延边", "吉林", "Yanbian", 5, "延边朝鲜族自治州"),
    # 黑龙江
    City("哈尔滨", "黑龙江", "Harbin/Haerbin", 3),
    City("齐齐哈尔", "黑龙江", "Qiqihar/Qiqihaer", 5),
    City("鸡西", "黑龙江", "Jixi", 6),
    City("鹤岗", "黑龙江", "Hegang", 6),
    City("双鸭山", "黑龙江", "Shuangyashan", 6),
    City("大庆", "黑龙江", "Daqing", 4),
    City("伊春", "黑龙江", "Yichun", 6),
    City("佳木斯", "黑龙江", "Jiamusi", 5),
    City("七台河", "黑龙江", "Qitaihe", 6),
    City("牡丹江", "黑龙江", "Mudanjiang", 5),
    City("黑河", "黑龙江", "Heihe", 6),
    City("绥化", "黑龙江", "Suihua", 5),
    City("大兴安岭", "黑龙江", "Da Hinggan Ling/Daxing'anling", 6, "大兴安岭地区"),
    # 上海
    City("上海", "上海", "Shanghai", 1, "上海市"),
    # 江苏
    City("南京", "江苏", "Nanjing/Nanking", 2),
    City("无锡", "江苏", "Wuxi", 3),
    City("徐州", "江苏", "Xuzhou", 3),
    City("常州", "江苏", "Changzhou", 3),
    City("苏州", "江苏", "Suzhou", 2),
    City("南通", "江苏", "Nantong", 3),
    City("连云港", "江苏", "Lianyungang", 4),
    City("淮安", "江苏", "Huai'an", 4),
    City("盐城", "江苏", "Yancheng", 4),
    City("扬州", "江苏", "Yangzhou", 4),
    City("镇江", "江苏", "Zhenjiang", 4),
    City("泰州", "江苏", "Taizhou", 4),
    City("宿迁", "江苏", "Suqian", 4),
    # 浙江
    City("杭州", "浙江", "Hangzhou", 2),
    City("宁波", "浙江", "Ningbo", 2),
    City("温州", "浙江", "Wenzhou", 3),
    City("嘉兴", "浙江", "Jiaxing", 3),
    City("湖州", "浙江", "Huzhou", 4),
    City("绍兴", "浙江", "Shaoxing", 3),
    City("金华", "浙江", "Jinhua", 3),
    City("衢州", "浙江", "Quzhou", 5),
    City("舟山", "浙江", "Zhoushan", 4),
    City("台州", "浙江", "Taizhou", 3),
    City("丽水", "浙江", "Lishui", 4),
    # 安徽
    City("合肥", "安徽", "Hefei", 2),
    City("芜湖", "安徽", "Wuhu", 4),
    City("蚌埠", "安徽", "Bengbu", 4),
    City("淮南", "安徽", "Huainan", 5),
    City("马鞍山", "安徽", "Ma'anshan", 4),
    City("淮北", "安徽", "Huaibei", 6),
    City("铜陵", "安徽", "Tongling", 5),
    City("安庆", "安徽", "Anqing", 4),
    City("黄山", "安徽", "Huangshan", 5),
    City("滁州", "安徽", "Chuzhou", 4),
    City("阜阳", "安徽", "Fuyang", 4),
    City("宿州", "安徽", "Suzhou", 5),
    City("六安", "安徽", "Lu'an", 5),
    City("亳州", "安徽", "Bozhou", 5),
    City("池州", "安徽", "Chizhou", 6),
    City("宣城", "安徽", "Xuancheng", 5),
    # 福建
    City("福州", "福建", "Fuzhou", 3),
    City("厦门", "福建", "Xiamen/Amoy", 3),
    City("莆田", "福建", "Putian", 4),
    City("三明", "福建", "Sanming", 4),
    City("泉州", "福建", "Quanzhou", 3),
    City("漳州", "福建", "Zhangzhou", 4),
    City("南平", "福建", "Nanping", 4),
    City("龙岩", "福建", "Longyan", 4),
    City("宁德", "福建", "Ningde", 4),
    # 江西
    City("南昌", "江西", "Nanchang", 3),
    City("景德镇", "江西", "Jingdezhen", 5),
    City("萍乡", "江西", "Pingxiang", 6),
    City("九江", "江西", "Jiujiang", 4),
    City("新余", "江西", "Xinyu", 6),
    City("鹰潭", "江西", "Yingtan", 5),
    City("赣州", "江西", "Ganzhou", 4),
    City("吉安", "江西", "Ji'an", 5),
    City("宜春", "江西", "Yichun", 5),
    City("抚州", "江西", "Fuzhou", 5),
    City("上饶", "江西", "Shangrao", 4),
    # 山东
    City("济南", "山东", "Jinan", 3),
    City("青岛", "山东", "Qingdao/Tsingtao", 2),
    City("淄博", "山东", "Zibo", 4),
    City("枣庄", "山东", "Zaozhuang", 5),
    City("东营", "山东", "Dongying", 5),
    City("烟台", "山东", "Yantai", 3),
    City("潍坊", "山东", "Weifang", 3),
    City("济宁", "山东", "Jining", 4),
    City("泰安", "山东", "Tai'an", 4),
    City("威海", "山东", "Weihai", 4),
    City("日照", "山东", "Rizhao", 5),
    City("临沂", "山东", "Linyi", 3),
    City("德州", "山东", "Dezhou", 5),
    City("聊城", "山东", "Liaocheng", 5),
    City("滨州", "山东", "Binzhou", 5),
    City("菏泽", "山东", "Heze", 5),
    # 河南
    City("郑州", "河南", "Zhengzhou", 2),
    City("开封", "河南", "Kaifeng", 5),
    City("洛阳", "河南", "Luoyang", 4),
    City("平顶山", "河南", "Pingdingshan", 5),
    City("安阳", "河南", "Anyang", 5),
    City("鹤壁", "河南", "Hebi", 6),
    City("新乡", "河南", "Xinxiang", 4),
    City("焦作", "河南", "Jiaozuo", 5),
    City("濮阳", "河南", "Puyang", 6),
    City("许昌", "河南", "Xuchang", 5),
    City("漯河", "河南", "Luohe", 6),
    City("三门峡", "河南", "Sanmenxia", 6),
    City("南阳", "河南", "Nanyang", 4),
    City("商丘", "河南", "Shangqiu", 4),
    City("信阳", "河南", "Xinyang", 4),
    City("周口", "河南", "Zhoukou", 5),
    City("驻马店", "河南", "Zhumadian", 5),
    # 湖北
    City("武汉", "湖北", "Wuhan", 2),
    City("黄石", "湖北", "Huangshi", 5),
    City("十堰", "湖北", "Shiyan", 5),
    City("宜昌", "湖北", "Yichang", 4),
    City("襄阳", "湖北", "Xiangyang", 4, "", "襄樊"),
    City("鄂州", "湖北", "Ezhou", 6),
    City("荆门", "湖北", "Jingmen", 6),
    City("孝感", "湖北", "Xiaogan", 5),
    City("荆州", "湖北", "Jingzhou", 4),
    City("黄冈", "湖北", "Huanggang", 5),
    City("咸宁", "湖北", "Xianning", 5),
    City("随州", "湖北", "Suizhou", 6),
    City("恩施", "湖北", "Enshi", 5, "恩施土家族苗族自治州", "恩施市"),
    # 湖南
    City("长沙", "湖南", "Changsha", 2),
    City("株洲", "湖南", "Zhuzhou", 4),
    City("湘潭", "湖南", "Xiangtan", 4),
    City("衡阳", "湖南", "Hengyang", 4),
    City("邵阳", "湖南", "Shaoyang", 5),
    City("岳阳", "湖南", "Yueyang", 4),
    City("常德", "湖南", "Changde", 5),
    City("张家界", "湖南", "Zhangjiajie", 6),
    City("益阳", "湖南", "Yiyang", 5),
    City("郴州", "湖南", "Chenzhou", 4),
    City("永州", "湖南", "Yongzhou", 5),
    City("怀化", "湖南", "Huaihua", 5),
    City("娄底", "湖南", "Loudi", 5),
    City("湘西", "湖南", "Xiangxi", 6, "湘西土家族苗族自治州"),
    # 广东
    City("广州", "广东", "Guangzhou/Canton", 1),
    City("韶关", "广东", "Shaoguan", 5),
    City("深圳", "广东", "Shenzhen", 1),
    City("珠海", "广东", "Zhuhai", 3),
    City("汕头", "广东", "Shantou", 4),
    City("佛山", "广东", "Foshan", 3),
    City("江门", "广东", "Jiangmen", 4),
    City("湛江", "广东", "Zhanjiang", 4),
    City("茂名", "广东", "Maoming", 5),
    City("肇庆", "广东", "Zhaoqing", 4),
    City("惠州", "广东", "Huizhou", 3),
    City("梅州", "广东", "Meizhou", 4),
    City("汕尾", "广东", "Shanwei", 5),
    City("河源", "广东", "Heyuan", 5),
    City("阳江", "广东", "Yangjiang", 5),
    City("清远", "广东", "Qingyuan", 4),
    City("东莞", "广东", "Dongguan", 2),
    City("中山", "广东", "Zhongshan", 3),
    City("潮州", "广东", "Chaozhou", 4),
    City("揭阳", "广东", "Jieyang", 4),
    City("云浮", "广东", "Yunfu", 6),
    # 广西
    City("南宁", "广西", "Nanning", 3),
    City("柳州", "广西", "Liuzhou", 4),
    City("桂林", "广西", "Guilin", 4),
    City("梧州", "广西", "Wuzhou", 5),
    City("北海", "广西", "Beihai", 5),
    City("防城港", "广西", "Fangchenggang", 6),
    City("钦州", "广西", "Qinzhou", 6),
    City("贵港", "广西", "Guigang", 6),
    City("玉林", "广西", "Yulin", 5),
    City("百色", "广西", "Baise", 5),
    City("贺州", "广西", "Hezhou", 6),
    City("河池", "广西", "Hechi", 6),
    City("来宾", "广西", "Laibin", 6),
    City("崇左", "广西", "Chongzuo", 6),
    # 海南
    City("海口", "海南", "Haikou", 4),
    City("三亚", "海南", "Sanya", 4),
    City("三沙", "海南", "Sansha", 6),
    City("儋州", "海南", "Danzhou", 6),
    # 重庆
    City("重庆", "重庆", "Chongqing/Chungking", 2, "重庆市"),
    # 四川
    City("成都", "四川", "Chengdu", 2),
    City("自贡", "四川", "Zigong", 6),
    City("攀枝花", "四川", "Panzhihua", 6),
    City("泸州", "四川", "Luzhou", 5),
    City("德阳", "四川", "Deyang", 5),
    City("绵阳", "四川", "Mianyang", 4),
    City("广元", "四川", "Guangyuan", 6),
    City("遂宁", "四川", "Suining", 6),
    City("内江", "四川", "Neijiang", 6),
    City("乐山", "四川", "Leshan", 5),
    City("南充", "四川", "Nanchong", 5),
    City("眉山", "四川", "Meishan", 5),
    City("宜宾", "四川", "Yibin", 5),
    City("广安", "四川", "Guang'an", 6),
    City("达州", "四川", "Dazhou", 6),
    City("雅安", "四川", "Ya'an", 6),
    City("巴中", "四川", "Bazhong", 6),
    City("资阳", "四川", "Ziyang", 6),
    City("阿坝", "四川", "Ngawa/Aba", 6, "阿坝藏族羌族自治州"),
    City("甘孜", "四川", "Garze/Ganzi", 6, "甘孜藏族自治州"),
    City("凉山", "四川", "Liangshan", 6, "凉山彝族自治州"),
    # 贵州
    City("贵阳", "贵州", "Guiyang", 3),
    City("六盘水", "贵州", "Liupanshui", 5),
    City("遵义", "贵州", "Zunyi", 4),
    City("安顺", "贵州", "Anshun", 5),
    City("毕节", "贵州", "Bijie", 5),
    City("铜仁", "贵州", "Tongren", 5),
    City("黔西南", "贵州", "Qianxinan", 6, "黔西南布依族苗族自治州"),
    City("黔东南", "贵州", "Qiandongnan", 5, "黔东南苗族侗族自治州"),
    City("黔南", "贵州", "Qiannan", 5, "黔南布依族苗族自治州"),
    # 云南
    City("昆明", "云南", "Kunming", 2),
    City("曲靖", "云南", "Qujing", 5),
    City("玉溪", "云南", "Yuxi", 6),
    City("保山", "云南", "Baoshan", 5),
    City("昭通", "云南", "Zhaotong", 6),
    City("丽江", "云南", "Lijiang", 5),
    City("普洱", "云南", "Pu'er", 6, "", "思茅"),
    City("临沧", "云南", "Lincang", 6),
    City("楚雄", "云南", "Chuxiong", 6, "楚雄彝族自治州", "楚雄市"),
    City("红河", "云南", "Honghe", 5, "红河哈尼族彝族自治州"),
    City("文山", "云南", "Wenshan", 6, "文山壮族苗族自治州", "文山市"),
    City("西双版纳", "云南", "Xishuangbanna", 5, "西双版纳傣族自治州"),
    City("大理", "云南", "Dali", 5, "大理白族自治州", "大理市"),
    City("德宏", "云南", "Dehong", 5, "德宏傣族景颇族自治州"),
    City("怒江", "云南", "Nujiang", 6, "怒江傈僳族自治州"),
    City("迪庆", "云南", "Diqing/Dêqên", 6, "迪庆藏族自治州"),
    # 西藏
    City("拉萨", "西藏", "Lhasa/Lasa", 5),
    City("日喀则", "西藏", "Shigatse/Rikaze", 6),
    City("昌都", "西藏", "Qamdo/Changdu", 6),
    City("林芝", "西藏", "Nyingchi/Linzhi", 6),
    City("山南", "西藏", "Shannan/Lhoka", 6),
    City("那曲", "西藏", "Nagqu/Naqu", 6),
    City("阿里", "西藏", "Ngari/Ali", 6, "阿里地区"),
    # 陕西
    City("西安", "陕西", "Xi'an/Sian", 2),
    City("铜川", "陕西", "Tongchuan", 6),
    City("宝鸡", "陕西", "Baoji", 5),
    City("咸阳", "陕西", "Xianyang", 4),
    City("渭南", "陕西", "Weinan", 5),
    City("延安", "陕西", "Yan'an", 6),
    City("汉中", "陕西", "Hanzhong", 6),
    City("榆林", "陕西", "Yulin", 5),
    City("安康", "陕西", "Ankang", 6),
    City("商洛", "陕西", "Shangluo", 6),
    # 甘肃
    City("兰州", "甘肃", "Lanzhou", 4),
    City("嘉峪关", "甘肃", "Jiayuguan", 6),
    City("金昌", "甘肃", "Jinchang", 6),
    City("白银", "甘肃", "Baiyin", 6),
    City("天水", "甘肃", "Tianshui", 6),
    City("武威", "甘肃", "Wuwei", 6),
    City("张掖", "甘肃", "Zhangye", 6),
    City("平凉", "甘肃", "Pingliang", 6),
    City("酒泉", "甘肃", "Jiuquan", 6),
    City("庆阳", "甘肃", "Qingyang", 6),
    City("定西", "甘肃", "Dingxi", 6),
    City("陇南", "甘肃", "Longnan", 6),
    City("临夏", "甘肃", "Linxia", 6, "临夏回族自治州"),
    City("甘南", "甘肃", "Gannan", 6, "甘南藏族自治州"),
    # 青海
    City("西宁", "青海", "Xining", 5),
    City("海东", "青海", "Haidong", 6),
    City("海北", "青海", "Haibei", 6, "海北藏族自治州"),
    City("黄南", "青海", "Huangnan", 6, "黄南藏族自治州"),
    City("海南州", "青海", "Hainanzhou", 6, "海南藏族自治州"),
    City("果洛", "青海", "Golog/Guoluo", 6, "果洛藏族自治州"),
    City("玉树", "青海", "Yushu", 6, "玉树藏族自治州"),
    City("海西", "青海", "Haixi", 6, "海西蒙古族藏族自治州"),
    # 宁夏
    City("银川", "宁夏", "Yinchuan", 4),
    City("石嘴山", "宁夏", "Shizuishan", 6),
    City("吴忠", "宁夏", "Wuzhong", 6),
    City("固原", "宁夏", "Guyuan", 6),
    City("中卫", "宁夏", "Zhongwei", 6),
    # 新疆
    City("乌鲁木齐", "新疆", "Urumqi/Wulumuqi/Urumchi", 4),
    City("克拉玛依", "新疆", "Karamay/Kelamayi", 6),
    City("吐鲁番", "新疆", "Turpan/Tulufan", 6),
    City("哈密", "新疆", "Hami/Kumul", 6),
    City("阿克苏", "新疆", "Aksu/Akesu", 6, "阿克苏地区", "阿克苏市"),
    City("喀什", "新疆", "Kashgar/Kashi", 6, "喀什地区", "喀什市"),
    City("和田", "新疆", "Hotan/Hetian", 6, "和田地区", "和田市"),
    City("塔城", "新疆", "Tacheng", 6, "塔城地区", "塔城市"),
    City("阿勒泰", "新疆", "Altay/Aletai", 6, "阿勒泰地区", "阿勒泰市"),
    City("昌吉", "新疆", "Changji", 6, "昌吉回族自治州", "昌吉市"),
    City("博尔塔拉", "新疆", "Bortala/Boertala", 6, "博尔塔拉蒙古自治州"),
    City("巴音郭楞", "新疆", "Bayingolin/Bayinguoleng", 6, "巴音郭楞蒙古自治州"),
    City("克孜勒苏", "新疆", "Kizilsu/Kezilesu", 6, "克孜勒苏柯尔克孜自治州"),
    City("伊犁", "新疆", "Ili/Yili", 6, "伊犁哈萨克自治州"),
    # 香港
    City("香港", "香港", "Hong Kong/Xianggang/HK", None, "香港特别行政区"),
    # 澳门
    City("澳门", "澳门", "Macau/Macao/Aomen", None, "澳门特别行政区", "澳門"),
    # 台湾
    City("台北", "台湾", "Taipei/Taibei", None, "台北市", "臺北/臺北市"),
)
# fmt: on

# Toneless pinyin shared by two cities -> the city it stands for (the larger or better known).
PREFERRED_FOR_PINYIN: dict[str, str] = {
    "suzhou": "苏州",  # not 宿州 (Anhui)
    "fuzhou": "福州",  # not 抚州 (Jiangxi)
    "taizhou": "台州",  # not 泰州 (Jiangsu)
    "yichun": "宜春",  # not 伊春 (Heilongjiang)
    "yulin": "玉林",  # not 榆林 (Shaanxi)
}
AMBIGUOUS_PINYIN: frozenset[str] = frozenset(PREFERRED_FOR_PINYIN)

CITY_TIERS: dict[str, int] = {c.name: c.tier for c in CITIES if c.tier is not None}

_DROPPED = str.maketrans("", "", "'‘’-·・")


def normalise_key(text: str) -> str:
    """Normalise a place name for lookup in the alias tables.

    NFKC (full-width letters become ASCII), lower case, and no whitespace, apostrophes,
    hyphens or middle dots.

    Args:
        text: A place name as written in the data.

    Returns:
        The lookup key.

    Example:
        >>> normalise_key(" Xi'an ")
        'xian'
        >>> normalise_key("ＢＥＩＪＩＮＧ")
        'beijing'
    """
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(folded.split()).translate(_DROPPED)


def province_aliases(*, include_abbreviations: bool = True) -> dict[str, str]:
    """Map every alias of every province, as a `normalise_key` key, to its short name.

    Aliases are the short and official names (广东, 广东省), the usual variants (广西省,
    广西自治区, 香港特区, 内蒙), the English and pinyin spellings with and without "province",
    "sheng", "shi" or "autonomous region", and the one-character abbreviations (粤).

    Args:
        include_abbreviations: Whether to include the one-character abbreviations; leave them
            out when the text may also abbreviate a city (宁 is 宁夏 but also 南京).

    Returns:
        A new dict from lookup key to the province's short name.

    Example:
        >>> province_aliases()[normalise_key("Inner Mongolia")]
        '内蒙古'
    """
    aliases = dict(_province_aliases())
    if not include_abbreviations:
        for province in PROVINCES:
            for character in province.abbreviations:
                del aliases[character]
    return aliases


def city_aliases() -> dict[str, tuple[str, str]]:
    """Map every alias of every city, as a `normalise_key` key, to (city, province).

    Aliases are the display and official names (苏州, 苏州市, 延边朝鲜族自治州, 延边州),
    former and traditional names (襄樊, 臺北), and the English and pinyin spellings with and
    without "city" or "shi" (harbin, haerbin, xian, beijingcity). A pinyin in
    `AMBIGUOUS_PINYIN` maps to the city `PREFERRED_FOR_PINYIN` names.

    Returns:
        A new dict from lookup key to (city display name, province short name).

    Example:
        >>> city_aliases()[normalise_key("苏州市")]
        ('苏州', '江苏')
    """
    return dict(_city_aliases())


def _add(aliases: dict[str, _T], name: str, value: _T) -> None:
    key = normalise_key(name)
    if aliases.setdefault(key, value) != value:
        raise ValueError(
            f"geo_cn: alias {name!r} (key {key!r}) means both {aliases[key]!r} and {value!r}; "
            "drop it from one entry or list it in PREFERRED_FOR_PINYIN"
        )


@cache
def _province_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for province in PROVINCES:
        names = [province.name, province.full_name, *province.abbreviations]
        names += province.other_names.split("/") if province.other_names else []
        suffixes = ["province", "sheng"]
        if province.full_name.endswith("自治区"):
            names += [f"{province.name}自治区", f"{province.name}省"]
            suffixes += ["autonomousregion"]
        elif province.full_name.endswith("特别行政区"):
            names += [f"{province.name}特区"]
            suffixes = ["sar"]
        elif province.full_name.endswith("市"):
            suffixes = ["shi", "city", "municipality"]
        for spelling in province.spellings:
            names += [spelling, *(spelling + suffix for suffix in suffixes)]
        for name in names:
            _add(aliases, name, province.name)
    return aliases


@cache
def _city_aliases() -> dict[str, tuple[str, str]]:
    aliases: dict[str, tuple[str, str]] = {}
    for city in CITIES:
        names = [city.name, city.official_name]
        names += city.other_names.split("/") if city.other_names else []
        if city.official_name.endswith("自治州") and not city.name.endswith("州"):
            names.append(f"{city.name}州")
        if city.official_name.endswith("特别行政区"):
            names.append(f"{city.name}特区")
        suffixes = ["", "city", "shi"] if city.official_name.endswith("市") else [""]
        for spelling in city.spellings:
            if PREFERRED_FOR_PINYIN.get(normalise_key(spelling), city.name) == city.name:
                names += [spelling + suffix for suffix in suffixes]
        for name in names:
            _add(aliases, name, (city.name, city.province))
    return aliases
